import { KeycycleError } from '../../src/core/errors'
import { deadlineOf, pause, retryPauseMs } from '../../src/store/deadline'
import { isBusy, isFenceTimeout, isTransient } from './sql-errors'

// The write fence as the SQL store keeps it: a write is attempted only before its deadline
// (epoch ms, real clock), retried on transient failures only while time remains, its
// statements bounded by the dialect's server-side timeouts (see dialect-fences.ts), and its
// transaction committed only if the deadline has not passed when COMMIT is sent. A call made
// without a deadline (a store used directly) retries until the policy's default deadline.

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

/**
 * Runs a write, again while it fails transiently (SQLITE_BUSY, a deadlock, a serialization
 * failure) and time remains before `deadline` (or the policy's default deadline from now, when
 * it has none), pausing as the policy says (`retryPauseMs`). Never starts an attempt at or after `deadline`. Rejects with
 * `KeycycleError('unavailable')` when time runs out or a fence's timeout fired; any other
 * failure (a duplicate key, `limit`) passes through unchanged.
 */
export async function attemptUntil<T>(
  deadline: number | undefined,
  what: string,
  work: () => Promise<T>,
): Promise<T> {
  const end = deadlineOf({ deadline })
  for (let attempt = 1; ; attempt++) {
    if (Date.now() >= end) throw deadlinePassed(what)
    try {
      return await work()
    } catch (error) {
      if (error instanceof KeycycleError) throw error
      if (isFenceTimeout(error)) throw deadlinePassed(what, error)
      if (!isTransient(error)) throw error
      const wait = Math.min(retryPauseMs(attempt, Math.random()), end - Date.now() - 1)
      if (wait < 0) throw deadlinePassed(what, error)
      await pause(wait)
    }
  }
}

/**
 * Runs a read, again after SQLITE_BUSY until `deadline` (epoch ms, real clock); then rejects
 * with `unavailable`. The first attempt costs nothing extra: the hot path stays one await.
 */
export async function readRetrying<T>(deadline: number, work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work()
    } catch (error) {
      if (!isBusy(error)) throw error
      const wait = Math.min(retryPauseMs(attempt, Math.random()), deadline - Date.now())
      if (wait < 0) {
        throw new KeycycleError('unavailable', 'read: the SQLite database stayed locked', {
          cause: error,
        })
      }
      await pause(wait)
    }
  }
}
