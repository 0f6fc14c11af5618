// Driver errors are told apart by the codes each driver documents, read structurally so the
// adapter needs none of pg, mysql2 or better-sqlite3 at run time.
interface DriverError {
  code?: unknown
  errno?: unknown
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
