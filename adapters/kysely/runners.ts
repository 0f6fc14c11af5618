import type { CompiledQuery, Kysely, QueryResult } from 'kysely'
import type { Statement } from './compiled'
import type { MysqlPool, PgPool, SqlValue } from './drivers'

/** How a store runs its compiled statements. */
export interface Runner {
  /** Runs `statement` with `values`; resolves with the rows it returns. */
  rows<P extends string>(statement: Statement<P>, values: Record<P, unknown>): Promise<unknown[]>
  /** Runs a write; resolves with how many rows it wrote. */
  write<P extends string>(statement: Statement<P>, values: Record<P, unknown>): Promise<number>
}

/** The compiled query with `values` in its parameters, for Kysely's `executeQuery`. */
export function bind<P extends string>(
  statement: Statement<P>,
  values: Record<P, unknown>,
): CompiledQuery {
  return { ...statement.compiled, parameters: statement.parameters(values) }
}

// A PostgreSQL write announces itself with `SELECT pg_notify(…) FROM <write>`, one row per row
// written; the other dialects report the rows an INSERT or UPDATE affected.
const written = (result: QueryResult<unknown>) =>
  result.numAffectedRows === undefined ? result.rows.length : Number(result.numAffectedRows)

/** Runs through the host's Kysely: its driver, its pool or lock, its plugins. */
export function kyselyRunner(db: Kysely<unknown>): Runner {
  return {
    rows: async (statement, values) => (await db.executeQuery(bind(statement, values))).rows,
    write: async (statement, values) => written(await db.executeQuery(bind(statement, values))),
  }
}

/**
 * Runs as named prepared statements on a pg pool: each connection parses and plans a statement
 * once, on its first use, instead of on every call. Only PostgreSQL statements come here, whose
 * writes return one row per row written.
 */
export function pgPoolRunner(pool: PgPool): Runner {
  const execute = <P extends string>(statement: Statement<P>, values: Record<P, unknown>) =>
    pool.query({
      name: statement.name,
      text: statement.compiled.sql,
      values: statement.parameters(values),
    })
  return {
    rows: async (statement, values) => (await execute(statement, values)).rows,
    write: async (statement, values) => (await execute(statement, values)).rows.length,
  }
}

/**
 * Runs with mysql2's `execute`: each connection prepares a statement once, on its first use,
 * and sends only the parameters after that.
 */
export function mysqlPoolRunner(pool: MysqlPool): Runner {
  const execute = <P extends string>(statement: Statement<P>, values: Record<P, unknown>) =>
    new Promise<unknown>((resolve, reject) =>
      pool.execute(
        statement.compiled.sql,
        statement.parameters(values) as SqlValue[],
        (error, result) => (error ? reject(error) : resolve(result)),
      ),
    )
  return {
    rows: async (statement, values) => (await execute(statement, values)) as unknown[],
    write: async (statement, values) =>
      Number(((await execute(statement, values)) as { affectedRows: number }).affectedRows),
  }
}
