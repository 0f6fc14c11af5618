import { KeycycleError } from '../core/errors'

// The one deadline and retry policy, for the service and the stores alike. The service decides
// every call's deadline (now + `storeTimeoutMs`) and passes it down as an absolute instant
// (`CallOptions.deadline`); a store honours the deadline it is given and applies
// DEFAULT_STORE_TIMEOUT_MS only when it is used directly, with none. Every wait past a deadline,
// and every pause between retries, is defined here, once.

/** The longest wait a Node timer holds (ms): every configurable timeout is at most this. */
export const MAX_TIMER_MS = 2_147_483_647

/** The deadline of a call made without one, in ms from the call: the service's default too. */
export const DEFAULT_STORE_TIMEOUT_MS = 2000

/**
 * How long a store waits past a write's fence for the reply of a write applied just before it
 * (ms), before it answers `unavailable`: the reply is in flight, the fence refuses anything
 * later. Shorter than the service's `FENCE_GRACE_MS`, so the store's own answer reaches the service first.
 */
export const LATE_REPLY_MS = 100

/**
 * How long the service waits past a write's fence for the store's own answer (ms) before it
 * answers `unavailable` itself (a dead connection). A server-side timeout starts counting when
 * the statement arrives, a little after the service's clock started.
 */
export const FENCE_GRACE_MS = 1000

/** The absolute deadline of a call: the one it was given, else {@link DEFAULT_STORE_TIMEOUT_MS} from now. */
export function deadlineOf(options: { deadline?: number | undefined } | undefined): number {
  return options?.deadline ?? Date.now() + DEFAULT_STORE_TIMEOUT_MS
}

/** Milliseconds left before `deadline`, never below 1 (0 disables PostgreSQL's timeouts). */
export function remainingMs(deadline: number): number {
  return Math.max(1, Math.ceil(deadline - Date.now()))
}

/**
 * The pause before retry number `attempt` (1, 2, …) of anything that lost a race or met a busy
 * resource (a compare-and-set, SQLITE_BUSY, a deadlock): from 2.5–5 ms, doubling to 20–40 ms,
 * spread by `jitter` (0 ≤ jitter < 1, from the caller's random source) so that a crowd of
 * writers losing the same race spreads out. Never a blocking wait.
 */
export function retryPauseMs(attempt: number, jitter: number): number {
  const ceiling = 5 * 2 ** Math.min(Math.max(attempt, 1) - 1, 3)
  return (ceiling / 2) * (1 + jitter)
}

/** Resolves after `ms` (a timer that never keeps a process alive). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    ;(timer as { unref?: () => void }).unref?.()
  })
}

// Calls in flight share one timer, armed for the earliest deadline, rather than a timer each:
// on the verification hot path a setTimeout/clearTimeout pair and a Promise.race per call cost
// more than a memory store's whole lookup. Calls made with one timeout come due in the order
// they start, so a new call almost never re-arms it. The timer never keeps a process alive.

interface Pending {
  due: number
  fail(): void
}

const pending = new Set<Pending>()
let timer: ReturnType<typeof setTimeout> | null = null
let armedFor = Number.POSITIVE_INFINITY

function arm(due: number): void {
  if (due >= armedFor) return
  if (timer !== null) clearTimeout(timer)
  armedFor = due
  timer = setTimeout(fire, Math.max(0, due - Date.now()))
  ;(timer as { unref?: () => void }).unref?.()
}

// Fails every call past its deadline, then arms for the earliest one left.
function fire(): void {
  timer = null
  armedFor = Number.POSITIVE_INFINITY
  const now = Date.now()
  let next = Number.POSITIVE_INFINITY
  for (const call of pending) {
    if (call.due <= now) {
      pending.delete(call)
      call.fail()
    } else if (call.due < next) next = call.due
  }
  if (next !== Number.POSITIVE_INFINITY) arm(next)
}

/** `error` as a `KeycycleError`: itself if it is one, else `unavailable` with it as `cause`. */
export function fault(what: string, error: unknown): KeycycleError {
  if (error instanceof KeycycleError) return error
  return new KeycycleError('unavailable', `${what} failed`, { cause: error })
}

/** True for a promise or any other thenable: an answer still to come. */
export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

/**
 * Runs `work` to completion within `timeoutMs`, or rejects with `unavailable`. Any other
 * failure becomes `unavailable` too, with the original as `cause`; a `KeycycleError` passes
 * through unchanged. `what` names the call in messages (never a token). The deadline never
 * keeps a process alive. Work that times out is abandoned, not cancelled: a write must carry a
 * fence of its own (see `CallOptions.deadline`).
 */
export function withDeadline<T>(
  what: string,
  timeoutMs: number,
  work: () => Promise<T>,
): Promise<T> {
  return settleBy(what, Date.now() + timeoutMs, timeoutMs, work)
}

/** {@link withDeadline} with an absolute deadline (epoch ms, real clock). */
export function untilDeadline<T>(
  what: string,
  deadline: number,
  work: () => Promise<T>,
): Promise<T> {
  return settleBy(what, deadline, Math.max(0, Math.round(deadline - Date.now())), work)
}

function settleBy<T>(
  what: string,
  due: number,
  timeoutMs: number,
  work: () => Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const call: Pending = {
      due,
      fail: () =>
        reject(new KeycycleError('unavailable', `${what} did not answer within ${timeoutMs} ms`)),
    }
    pending.add(call)
    arm(call.due)
    let started: Promise<T>
    try {
      started = work()
    } catch (error) {
      pending.delete(call)
      reject(fault(what, error))
      return
    }
    started.then(
      (value) => {
        pending.delete(call)
        resolve(value)
      },
      (error: unknown) => {
        pending.delete(call)
        reject(fault(what, error))
      },
    )
  })
}
