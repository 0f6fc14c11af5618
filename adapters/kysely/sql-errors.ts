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

/** A failure that the same statement may not hit on a second try. */
export function isTransient(error: unknown): boolean {
  const { code, errno } = fields(error)
  return (
    code === '40001' || // PostgreSQL serialization_failure
    code === '40P01' || // PostgreSQL deadlock_detected
    errno === 1213 || // MySQL ER_LOCK_DEADLOCK
    errno === 1205 || // MySQL ER_LOCK_WAIT_TIMEOUT
    code === 'SQLITE_BUSY'
  )
}

/** Runs `work`, again (up to `attempts` in all) while it fails transiently. */
export async function retryTransient<T>(work: () => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work()
    } catch (error) {
      if (attempt >= attempts || !isTransient(error)) throw error
      await new Promise((resolve) => setTimeout(resolve, attempt * 5 + Math.random() * 10))
    }
  }
}
