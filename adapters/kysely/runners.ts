import type { CompiledQuery, Kysely, QueryResult } from 'kysely'
import type { Statement } from './compiled'
import type { DialectFence } from './dialect-fences'
import { stillAhead } from './fence'

/** Statements run on one connection or pool. */
export interface Session {
  /** Runs `statement` with `values`; resolves with the rows it returns. */
  rows<P extends string>(statement: Statement<P>, values: Record<P, unknown>): Promise<unknown[]>
  /** Runs a write; resolves with how many rows it wrote. */
  write<P extends string>(statement: Statement<P>, values: Record<P, unknown>): Promise<number>
  /** Runs a query compiled for this one call (a count, an insert of events). */
  execute(query: CompiledQuery): Promise<{ rows: unknown[]; written: number }>
}

/** How a store runs its statements, alone or together in a transaction. */
export interface Runner extends Session {
  /**
   * Runs `work` in one transaction on one connection: commits once it resolves, rolls back if
   * it rejects. With a `deadline`, the dialect's fence bounds every statement on the server, no
   * statement starts after the deadline, and COMMIT is sent only before it (else the
   * transaction rolls back and this rejects with `unavailable`).
   */
  transaction<T>(deadline: number | undefined, work: (tx: Session) => Promise<T>): Promise<T>
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

// Statements on `db`; inside a fenced transaction each is checked against the deadline and
// rewritten by the fence first.
function kyselySession(db: Kysely<unknown>, fenced?: { fence: DialectFence; deadline: number }) {
  const run = (query: CompiledQuery) => {
    if (fenced === undefined) return db.executeQuery(query)
    stillAhead(fenced.deadline)
    return db.executeQuery({ ...query, sql: fenced.fence.statement(query.sql, fenced.deadline) })
  }
  const session: Session = {
    rows: async (statement, values) => (await run(bind(statement, values))).rows,
    write: async (statement, values) => written(await run(bind(statement, values))),
    async execute(query) {
      const result = await run(query)
      return { rows: result.rows, written: written(result) }
    },
  }
  return session
}

/**
 * Runs through the host's Kysely: its driver, its pool or lock, its plugins. `fenceOf` gives
 * the dialect's fence, asked once per fenced transaction, on that transaction's connection.
 */
export function kyselyRunner(
  db: Kysely<unknown>,
  fenceOf: (exec: (query: CompiledQuery) => Promise<QueryResult<unknown>>) => Promise<DialectFence>,
): Runner {
  return {
    ...kyselySession(db),
    transaction: (deadline, work) =>
      db.transaction().execute(async (trx) => {
        if (deadline === undefined) return work(kyselySession(trx))
        const exec = (query: CompiledQuery) => trx.executeQuery(query)
        stillAhead(deadline)
        const fence = await fenceOf(exec)
        await fence.open(exec, deadline)
        try {
          const result = await work(kyselySession(trx, { fence, deadline }))
          stillAhead(deadline)
          return result
        } finally {
          await fence.close(exec).catch(() => {})
        }
      }),
  }
}
