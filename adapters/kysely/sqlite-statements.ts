import type { SqliteDatabase, SqliteStatement } from 'kysely'
import { invalidInput } from '../../src/core/errors'

/** Options of {@link reusePreparedStatements}. */
export interface ReusePreparedStatementsOptions {
  /** Most statements kept prepared, least recently used dropped first. Default 100. */
  max?: number
}

/**
 * Wraps a better-sqlite3 `Database` for Kysely's `SqliteDialect` so that each SQL text is
 * prepared once and its statement reused. Kysely's SQLite driver calls `prepare` on every query,
 * which costs several times what running a primary-key select does; keycycle's statements are
 * compiled once, so with this wrapper verification prepares nothing. The host's own queries
 * gain the same way. Queries still run through Kysely's driver and its single-connection lock,
 * so transactions behave exactly as without the wrapper. A statement busy iterating (a
 * `stream()` in progress) is never handed out twice: the same text gets a fresh statement.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3'
 * import { Kysely, SqliteDialect } from 'kysely'
 * import { kyselyStore, reusePreparedStatements } from 'keycycle/kysely'
 *
 * const database = reusePreparedStatements(new Database('keycycle.db'))
 * const db = new Kysely({ dialect: new SqliteDialect({ database }) })
 * const store = kyselyStore(db)
 * ```
 */
export function reusePreparedStatements(
  database: SqliteDatabase,
  options: ReusePreparedStatementsOptions = {},
): SqliteDatabase {
  const { max = 100 } = options
  if (!Number.isSafeInteger(max) || max < 1) throw invalidInput('max', 'must be an integer ≥ 1')
  if (typeof database?.prepare !== 'function' || typeof database.close !== 'function') {
    throw invalidInput('database', 'must be a better-sqlite3 Database')
  }
  // A Map keeps insertion order: re-inserting on use makes its first key the least recent.
  const prepared = new Map<string, SqliteStatement>()
  return {
    prepare(sql) {
      const statement = prepared.get(sql)
      if (statement !== undefined) {
        if ((statement as { busy?: boolean }).busy === true) return database.prepare(sql)
        prepared.delete(sql)
        prepared.set(sql, statement)
        return statement
      }
      const fresh = database.prepare(sql)
      prepared.set(sql, fresh)
      if (prepared.size > max) prepared.delete(prepared.keys().next().value as string)
      return fresh
    },
    close() {
      prepared.clear()
      database.close()
    },
  }
}
