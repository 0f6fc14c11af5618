import { KeycycleError } from '../core/errors'

// The service owns the deadline policy: every store call it makes goes through here (via the
// guarded store), and adapters that need a per-command deadline of their own use the same
// helper so there is one meaning of "did not answer in time".

/**
 * Runs `work` to completion within `timeoutMs`, or rejects with `unavailable`. Any other
 * failure becomes `unavailable` too, with the original as `cause`; a `KeycycleError` passes
 * through unchanged. `what` names the call in messages (never a token). The pending timer
 * never keeps a process alive. Work that times out is abandoned, not cancelled.
 */
export async function withDeadline<T>(
  what: string,
  timeoutMs: number,
  work: () => Promise<T>,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new KeycycleError('unavailable', `${what} did not answer within ${timeoutMs} ms`)),
      timeoutMs,
    )
    ;(timer as { unref?: () => void }).unref?.()
  })
  try {
    return await Promise.race([work(), deadline])
  } catch (error) {
    if (error instanceof KeycycleError) throw error
    throw new KeycycleError('unavailable', `${what} failed`, { cause: error })
  } finally {
    clearTimeout(timer)
  }
}
