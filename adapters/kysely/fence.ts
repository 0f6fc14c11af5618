import { KeycycleError } from '../../src/core/errors'
import { isBusy, isFenceTimeout, isTransient } from './sql-errors'

// The write fence of SPEC §7 as the SQL store keeps it: a write is attempted only before its
// deadline (epoch ms, real clock), retried on transient failures only while time remains, its
// statements bounded by the dialect's server-side timeouts (see dialect-fences.ts), and its
// transaction committed only if the deadline has not passed when COMMIT is sent.

/**
 * How long a write without a deadline (a store used directly, not through the service) keeps
 * retrying transient failures such as SQLITE_BUSY, in ms: what better-sqlite3's default busy
 * timeout used to wait, but spent in short asynchronous pauses instead of one blocking wait.
 */
export const UNFENCED_RETRY_MS = 5000

/**
 * How long a read keeps retrying SQLITE_BUSY, in ms. In WAL mode readers never wait for a
 * writer, so this only matters in rollback-journal mode, while another connection commits.
 */
export const READ_RETRY_MS = 1000

/** Milliseconds left before `deadline`, never below 1 (0 disables PostgreSQL's timeouts). */
export const remainingMs = (deadline: number) => Math.max(1, Math.ceil(deadline - Date.now()))

/** A rejection for a write that did not commit in time; it never will. */
export function deadlinePassed(what: string, cause?: unknown): KeycycleError {
  return new KeycycleError(
    'unavailable',
    `${what}: not committed before its deadline`,
    cause === undefined ? {} : { cause },
  )
}

/**
 * Throws `unavailable` unless `deadline` is still ahead: checked before each statement of a
 * fenced transaction and right before its COMMIT.
 */
export function stillAhead(deadline: number | undefined): void {
  if (deadline !== undefined && Date.now() >= deadline) throw deadlinePassed('write')
}

// A short pause with jitter, growing with the attempt (5–15 ms, then up to 25–35 ms), so that
// racing writers spread out; never a blocking wait.
const pause = (attempt: number) => Math.min(attempt, 5) * 5 + Math.random() * 10
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs a write, again while it fails transiently (SQLITE_BUSY, a deadlock, a serialization
 * failure) and time remains before `deadline` (or {@link UNFENCED_RETRY_MS} from now, when it
 * has none). Never starts an attempt at or after `deadline`. Rejects with
 * `KeycycleError('unavailable')` when time runs out or a fence's timeout fired; any other
 * failure (a duplicate key, `limit`) passes through unchanged.
 */
export async function attemptUntil<T>(
  deadline: number | undefined,
  what: string,
  work: () => Promise<T>,
): Promise<T> {
  const end = deadline ?? Date.now() + UNFENCED_RETRY_MS
  for (let attempt = 1; ; attempt++) {
    if (Date.now() >= end) throw deadlinePassed(what)
    try {
      return await work()
    } catch (error) {
      if (error instanceof KeycycleError) throw error
      if (isFenceTimeout(error)) throw deadlinePassed(what, error)
      if (!isTransient(error)) throw error
      const wait = Math.min(pause(attempt), end - Date.now() - 1)
      if (wait < 0) throw deadlinePassed(what, error)
      await sleep(wait)
    }
  }
}

/**
 * Runs a read, again after SQLITE_BUSY for up to {@link READ_RETRY_MS}; then rejects with
 * `unavailable`. The first attempt costs nothing extra: the hot path stays one await.
 */
export async function readRetrying<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    return retryBusyRead(error, work)
  }
}

/**
 * What {@link readRetrying} does once a first attempt failed with `error`, for a caller that made
 * that attempt itself (synchronously): rethrows anything but SQLITE_BUSY, else pauses and runs
 * `work` again while it is BUSY, for up to {@link READ_RETRY_MS}, then rejects with `unavailable`.
 */
export async function retryBusyRead<T>(error: unknown, work: () => Promise<T> | T): Promise<T> {
  if (!isBusy(error)) throw error
  const end = Date.now() + READ_RETRY_MS
  for (let attempt = 1; ; attempt++) {
    const wait = Math.min(pause(attempt), end - Date.now())
    if (wait < 0) {
      throw new KeycycleError('unavailable', 'read: the SQLite database stayed locked', {
        cause: error,
      })
    }
    await sleep(wait)
    try {
      return await work()
    } catch (again) {
      if (!isBusy(again)) throw again
    }
  }
}
