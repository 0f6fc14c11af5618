import { invalidInput } from '../../src/core/errors'
import { readObject } from '../../src/core/validate'
import {
  isMysqlPool,
  isPgPool,
  isSqliteConnection,
  type MysqlPool,
  type PgPool,
  type SqliteConnection,
} from './drivers'
import { type TableNames, tableNames } from './schema'

/** Options of {@link migrateKeycycle}; {@link kyselyStore} takes these and more. */
export interface KyselyMigrateOptions {
  /**
   * Prefix of every table and index keycycle creates. Default `keycycle_`. Must match
   * {@link TABLE_PREFIX}: lower case, so the names are the same on every dialect and file
   * system (MySQL's table names follow the file system's case rules), and short enough that the
   * longest derived name fits PostgreSQL's 63-byte identifiers.
   */
  tablePrefix?: string
}

/** Options of {@link kyselyStore}. */
export interface KyselyStoreOptions extends KyselyMigrateOptions {
  /**
   * PostgreSQL only: a pg `Pool` over the same database (the one your `PostgresDialect` was given
   * will do). With it the store runs its hot statements as named prepared statements on that
   * pool, planned once per connection instead of on every call, and offers the change channel
   * (`watch`, `LISTEN`/`NOTIFY`) that holds each other instance's verification cache to its
   * revocation bound in milliseconds; a subscription holds one of the pool's connections while
   * it lasts. End keycycle (`kc.close()`) before the pool. Without it every write still
   * announces itself, for the stores that listen.
   */
  pg?: PgPool
  /**
   * MySQL/MariaDB only: a mysql2 `Pool` over the same database (the one your `MysqlDialect` was
   * given will do). With it the store runs its fixed statements as server-side prepared
   * statements, each prepared once per connection and then executed by its handle, instead of
   * Kysely's `query`, which sends every call as new SQL text to be parsed.
   */
  mysql?: MysqlPool
  /**
   * SQLite only: the better-sqlite3 `Database` your `SqliteDialect` was given (itself, not
   * {@link reusePreparedStatements}' wrapper of it). With it the store runs its fixed reads, the
   * verification read among them, synchronously on statements it prepares once on this
   * connection, without Kysely's driver and its per-query connection lock and promises; writes,
   * transactions and every other query still go through Kysely. A read finding a transaction
   * open on the connection (the store's own or yours, between its statements) goes through
   * Kysely instead and waits for the transaction to end, so it never sees uncommitted writes.
   * SQLITE_BUSY is retried as on the Kysely path (up to a second, asynchronously).
   */
  sqlite?: SqliteConnection
}

/**
 * What a `tablePrefix` may be: a lower-case letter or `_`, then up to 30 lower-case letters,
 * digits or `_` (e.g. `keycycle_`, `billing_kc_`).
 */
export const TABLE_PREFIX = /^[a-z_][a-z0-9_]{0,30}$/

/** The members of a `Kysely` instance the adapter relies on, checked structurally. */
interface KyselyLike {
  selectFrom: unknown
  insertInto: unknown
  updateTable: unknown
  transaction: unknown
  isTransaction?: unknown
}

/** The arguments of {@link kyselyStore} or {@link migrateKeycycle}, checked. */
export interface KyselyArguments {
  names: TableNames
  prefix: string
  pg: PgPool | undefined
  mysql: MysqlPool | undefined
  sqlite: SqliteConnection | undefined
}

/**
 * Checks the arguments of {@link kyselyStore} and {@link migrateKeycycle} before any I/O.
 * Throws `KeycycleError('validation')` naming the argument at fault. `store` admits the
 * store's own options (`pg`, `mysql`, `sqlite`).
 */
export function readKyselyArguments(
  db: unknown,
  options: unknown,
  use: 'store' | 'migrate',
): KyselyArguments {
  const candidate = db as KyselyLike | null
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.selectFrom !== 'function' ||
    typeof candidate.insertInto !== 'function' ||
    typeof candidate.updateTable !== 'function' ||
    typeof candidate.transaction !== 'function'
  ) {
    throw invalidInput('db', 'must be a Kysely instance')
  }
  if (candidate.isTransaction === true) {
    throw invalidInput('db', 'must be a Kysely instance, not a transaction')
  }
  const allowed = use === 'store' ? ['tablePrefix', 'pg', 'mysql', 'sqlite'] : ['tablePrefix']
  const {
    tablePrefix = 'keycycle_',
    pg,
    mysql,
    sqlite,
  } = readObject(options ?? {}, 'options', allowed)
  if (typeof tablePrefix !== 'string' || !TABLE_PREFIX.test(tablePrefix)) {
    throw invalidInput(
      'tablePrefix',
      'must be a lower-case letter or _, then up to 30 lower-case letters, digits or _',
    )
  }
  if (pg !== undefined && !isPgPool(pg)) {
    throw invalidInput('pg', 'must be a pg Pool (with query and connect)')
  }
  if (mysql !== undefined && !isMysqlPool(mysql)) {
    throw invalidInput('mysql', 'must be a mysql2 Pool (with execute and getConnection)')
  }
  if (sqlite !== undefined && !isSqliteConnection(sqlite)) {
    throw invalidInput(
      'sqlite',
      'must be a better-sqlite3 Database (with prepare and inTransaction), not a wrapper of one',
    )
  }
  return { names: tableNames(tablePrefix), prefix: tablePrefix, pg, mysql, sqlite }
}
