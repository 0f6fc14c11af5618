import { KeycycleError } from '../core/errors'

// The service owns the deadline policy: every store call it makes goes through here (via the
// guarded store), and adapters that need a per-command deadline of their own use the same
// helper so there is one meaning of "did not answer in time".
//
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
 * keeps a process alive. Work that times out is abandoned,
 * not cancelled: a write must carry a fence of its own (see `WriteOptions.deadline`).
 */
export function withDeadline<T>(
  what: string,
  timeoutMs: number,
  work: () => Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const call: Pending = {
      due: Date.now() + timeoutMs,
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
