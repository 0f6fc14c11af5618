import type { CompiledQuery, Kysely, QueryResult } from 'kysely'
import type { Statement } from './compiled'

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

// Drivers report the rows an INSERT or UPDATE affected.
const written = (result: QueryResult<unknown>) => Number(result.numAffectedRows ?? 0)

/** Runs through the host's Kysely: its driver, its pool or lock, its plugins. */
export function kyselyRunner(db: Kysely<unknown>): Runner {
  return {
    rows: async (statement, values) => (await db.executeQuery(bind(statement, values))).rows,
    write: async (statement, values) => written(await db.executeQuery(bind(statement, values))),
  }
}
