import type { Statement } from './compiled'
import type { SqliteConnection, SqlitePreparedStatement, SqlValue } from './drivers'
import { readRetrying, retryBusyRead } from './fence'
import type { Values } from './rows'

/**
 * A fixed read: its rows, each as its values in select order, now when it could run at once,
 * else once it has run.
 */
export type FixedRead = <P extends string>(
  statement: Statement<P>,
  values: Record<P, unknown>,
) => Values[] | Promise<Values[]>

/**
 * Fixed reads run synchronously on the host's better-sqlite3 connection, each statement prepared
 * there once, beside Kysely's driver rather than through it: no connection lock to take, no
 * promise per step, no `prepare` per call. Kysely's SQLite driver serialises queries with one
 * lock, but better-sqlite3 runs each synchronously, so a read can only ever fall between two
 * statements, never inside one. Between two statements of an open transaction it would see that
 * transaction's uncommitted writes, so while one is open (`inTransaction`, whoever began it) the
 * read goes to `viaKysely` instead, which waits for the lock and so for the transaction's end.
 * Rows come as arrays (`raw()`), which better-sqlite3 builds far faster than objects.
 * SQLITE_BUSY (another connection writing, outside WAL mode) is retried as {@link readRetrying}
 * does, asynchronously.
 */
export function sqliteReader(database: SqliteConnection, viaKysely: FixedRead): FixedRead {
  const prepared = new Map<string, SqlitePreparedStatement>()
  const attempt: FixedRead = (statement, values) => {
    if (database.inTransaction) return readRetrying(async () => viaKysely(statement, values))
    let ready = prepared.get(statement.name)
    if (ready === undefined) {
      ready = database.prepare(statement.compiled.sql).raw(true)
      prepared.set(statement.name, ready)
    }
    return ready.all(statement.parameters(values) as SqlValue[]) as Values[]
  }
  return (statement, values) => {
    try {
      return attempt(statement, values)
    } catch (error) {
      return retryBusyRead(error, () => attempt(statement, values))
    }
  }
}
