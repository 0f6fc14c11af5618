// Driver errors are told apart by the codes each driver documents, read structurally so the
// adapter needs none of pg, mysql2 or better-sqlite3 at run time.
interface DriverError {
  code?: unknown
  errno?: unknown
  message?: unknown
}

function fields(error: unknown): DriverError {
  return typeof error === 'object' && error !== null ? (error as DriverError) : {}
}

/** A unique or primary key violation: the row exists already. */
export function isDuplicateKey(error: unknown): boolean {
  const { code, errno } = fields(error)
  return (
    code === '23505' || // PostgreSQL unique_violation
    errno === 1062 || // MySQL/MariaDB ER_DUP_ENTRY
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE'
  )
}

/** SQLite's "database is locked" (SQLITE_BUSY and its extended codes): another connection writes. */
export function isBusy(error: unknown): boolean {
  const { code } = fields(error)
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY')
}

/** A failure that the same statement may not hit on a second try. */
export function isTransient(error: unknown): boolean {
  const { code, errno } = fields(error)
  return (
    code === '40001' || // PostgreSQL serialization_failure
    code === '40P01' || // PostgreSQL deadlock_detected
    errno === 1213 || // MySQL ER_LOCK_DEADLOCK
    errno === 1205 || // MySQL ER_LOCK_WAIT_TIMEOUT
    isBusy(error)
  )
}

/**
 * The server gave up on a statement at the time limit a fence set: the write did not happen,
 * and its deadline has (about) passed, so trying again is pointless.
 */
export function isFenceTimeout(error: unknown): boolean {
  const { code, errno } = fields(error)
  return (
    code === '55P03' || // PostgreSQL lock_not_available (lock_timeout)
    code === '57014' || // PostgreSQL query_canceled (statement_timeout)
    code === '25P03' || // PostgreSQL idle_in_transaction_session_timeout
    errno === 1969 || // MariaDB ER_STATEMENT_TIMEOUT (max_statement_time)
    errno === 3024 // MySQL ER_QUERY_TIMEOUT (max_execution_time)
  )
}

// SQLite has no code of its own for these (SQLITE_ERROR), only its messages: a statement naming
// a table or column the database lacks, or an INSERT naming a column its table lacks.
const SQLITE_MISSING = /^(?:no such (?:table|column): |table \S+ has no column named )/

/**
 * A statement named a table or column the database lacks: keycycle's tables were never created
 * under this prefix (no `migrateKeycycle`, or one run with another `tablePrefix`), or are of
 * another shape. No attempt will cure it.
 */
export function isMissingSchema(error: unknown): boolean {
  const { code, errno, message } = fields(error)
  return (
    code === '42P01' || // PostgreSQL undefined_table
    code === '42703' || // PostgreSQL undefined_column
    code === '42883' || // PostgreSQL undefined_function (the spend function, migration 0005)
    errno === 1146 || // MySQL/MariaDB ER_NO_SUCH_TABLE
    errno === 1054 || // MySQL/MariaDB ER_BAD_FIELD_ERROR
    (typeof message === 'string' && SQLITE_MISSING.test(message))
  )
}
