// The parts of the drivers the adapter calls directly, described structurally as Kysely's own
// dialects describe them, so `keycycle/kysely` imports none of pg, mysql2 or better-sqlite3.

/** A `NOTIFY` as pg delivers it. */
export interface PgNotification {
  channel: string
  payload?: string | undefined
}

/** A query as the adapter sends it to pg: named (prepared once per connection) or not. */
export interface PgQueryConfig {
  name?: string
  text: string
  values: unknown[]
}

/** What pg answers a query with. */
export interface PgQueryResult {
  rows: unknown[]
  rowCount?: number | null
}

/** Anything of pg's that runs a query: a `Pool` or one of its clients. */
export interface PgQueryable {
  query(config: PgQueryConfig): Promise<PgQueryResult>
}

/**
 * The subset of a pg `PoolClient` the adapter uses: one connection, held for LISTEN or for a
 * transaction.
 */
export interface PgPoolClient extends PgQueryable {
  /** A simple query: no parameters, so it may hold several statements (`BEGIN; SET LOCAL …`). */
  query(text: string): Promise<unknown>
  query(config: PgQueryConfig): Promise<PgQueryResult>
  on(event: 'notification', listener: (message: PgNotification) => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
  on(event: 'end', listener: () => void): unknown
  /** Removes a listener added with `on` (pg's clients are EventEmitters). */
  removeListener?(event: 'error', listener: (error: Error) => void): unknown
  /** Given `true` or an error, pg destroys the connection instead of returning it to the pool. */
  release(destroy?: boolean | Error): void
}

/** The subset of pg's `Pool` the adapter uses (pg 8): named statements, and clients to hold. */
export interface PgPool extends PgQueryable {
  connect(): Promise<PgPoolClient>
}

/** True for something shaped like a pg `Pool`. */
export function isPgPool(value: unknown): value is PgPool {
  const pool = value as Partial<Record<keyof PgPool, unknown>> | null
  return (
    typeof pool === 'object' &&
    pool !== null &&
    typeof pool.query === 'function' &&
    typeof pool.connect === 'function'
  )
}

/** A parameter as keycycle's statements bind it. */
export type SqlValue = string | number | null

/** A statement mysql2 prepared on one connection: run by its handle, only values sent. */
export interface MysqlPreparedStatement {
  execute(values: SqlValue[], callback: (error: Error | null, result: unknown) => unknown): unknown
}

/** The subset of a mysql2 `PoolConnection` the adapter uses. */
export interface MysqlPoolConnection {
  prepare(
    sql: string,
    callback: (error: Error | null, statement: MysqlPreparedStatement) => unknown,
  ): unknown
  /** Hands the connection back to its pool. */
  release(): void
  /** Closes the connection, which its pool then forgets. */
  destroy(): void
}

/**
 * The subset of mysql2's (callback) `Pool` the adapter uses: connections, on which it prepares
 * its fixed statements once each.
 */
export interface MysqlPool {
  getConnection(
    callback: (error: Error | null, connection: MysqlPoolConnection) => unknown,
  ): unknown
}

/**
 * True for something shaped like a mysql2 `Pool` (the callback one, as `MysqlDialect` takes):
 * `getConnection`, and `execute`, which a pool has and a cluster of pools has not.
 */
export function isMysqlPool(value: unknown): value is MysqlPool {
  const pool = value as Partial<Record<'execute' | 'getConnection', unknown>> | null
  return (
    typeof pool === 'object' &&
    pool !== null &&
    typeof pool.execute === 'function' &&
    typeof pool.getConnection === 'function'
  )
}

/** The subset of a better-sqlite3 `Statement` the adapter uses. */
export interface SqlitePreparedStatement {
  /** Every row, each as an object keyed by column name (or an array, after `raw()`). */
  all(parameters: readonly SqlValue[]): unknown[]
  /** With `true`, rows come as arrays of values in select order. */
  raw(toggle: boolean): SqlitePreparedStatement
}

/**
 * The subset of a better-sqlite3 `Database` the adapter uses (better-sqlite3 7–12): statements
 * it prepares once and runs synchronously, and whether a transaction is open on the connection.
 */
export interface SqliteConnection {
  prepare(sql: string): SqlitePreparedStatement
  /** True between `BEGIN` and its `COMMIT` or `ROLLBACK`, whoever sent them. */
  readonly inTransaction: boolean
}

/**
 * True for something shaped like a better-sqlite3 `Database` (not `reusePreparedStatements`'
 * wrapper of one, which lacks `inTransaction`).
 */
export function isSqliteConnection(value: unknown): value is SqliteConnection {
  const database = value as Partial<Record<keyof SqliteConnection, unknown>> | null
  return (
    typeof database === 'object' &&
    database !== null &&
    typeof database.prepare === 'function' &&
    typeof database.inTransaction === 'boolean'
  )
}
