import type { Statement } from './compiled'
import type { SqliteConnection, SqlitePreparedStatement, SqlValue } from './drivers'
import type { Values } from './rows'
import { isBusy } from './sql-errors'

/** A fixed read's rows, each as its values in select order. */
export type FixedRead = <P extends string>(
  statement: Statement<P>,
  values: Record<P, unknown>,
) => Promise<Values[]>

/**
 * Fixed reads run synchronously on the host's better-sqlite3 connection, each statement
 * prepared there once, beside Kysely's driver rather than through it: no connection lock to
 * take, no promise per step, no `prepare` per call. Rows come as arrays (`raw()`), which
 * better-sqlite3 builds far faster than objects.
 *
 * `now` answers at once, or `undefined` when it cannot: while a transaction is open on the
 * connection (`inTransaction`, whoever began it), since a read between two of its statements
 * would see its uncommitted writes; or when the database is BUSY (another connection writing,
 * outside WAL mode). The caller then reads through Kysely, which waits for the connection's
 * lock (so for the transaction's end) and retries BUSY until its deadline.
 */
export function sqliteReader(database: SqliteConnection): {
  now<P extends string>(statement: Statement<P>, values: Record<P, unknown>): Values[] | undefined
} {
  const prepared = new Map<string, SqlitePreparedStatement>()
  return {
    now(statement, values) {
      if (database.inTransaction) return undefined
      let ready = prepared.get(statement.name)
      if (ready === undefined) {
        ready = database.prepare(statement.compiled.sql).raw(true)
        prepared.set(statement.name, ready)
      }
      try {
        return ready.all(statement.parameters(values) as SqlValue[]) as Values[]
      } catch (error) {
        if (isBusy(error)) return undefined
        throw error
      }
    },
  }
}
