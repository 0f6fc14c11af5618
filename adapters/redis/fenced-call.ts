import { KeycycleError } from '../../src/core/errors'
import type { WriteOptions } from '../../src/store'
import { LATE_REPLY_MS } from '../../src/store/deadline'
import { type Commands, type RedisClient, redisCall } from './client'
import { serverClock } from './server-clock'

/** How often the server clock is measured again while writes come (ms). */
const CLOCK_REFRESH_MS = 10_000

/** Runs one write: `work` gets the fence its scripts carry (`''` for none). */
export type FencedCall = <T>(
  method: string,
  options: WriteOptions | undefined,
  work: (fence: string) => Promise<T>,
) => Promise<T>

/**
 * Writes within their deadline. Without a deadline (a store used directly) a write is an
 * ordinary call, given `timeoutMs`. With one it is refused at once, sending nothing, when the
 * deadline has passed; otherwise its scripts carry the deadline as a fence in the server's time
 * (see `server-clock.ts`), and the call answers `unavailable` by the deadline plus the policy's
 * `LATE_REPLY_MS` when the server has not replied. A script refuses past its fence, so nothing
 * commits after that answer, whatever ioredis resends.
 */
export function fencedCalls(
  client: RedisClient,
  commands: Commands,
  timeoutMs: number,
): FencedCall {
  const clock = serverClock(client, { refreshMs: CLOCK_REFRESH_MS, timeoutMs })
  return (method, options, work) => {
    const deadline = options?.deadline
    if (deadline === undefined) {
      return redisCall(commands, method, Date.now() + timeoutMs, () => work(''))
    }
    const left = deadline - Date.now()
    if (left <= 0) {
      return Promise.reject(
        new KeycycleError(
          'unavailable',
          `redis: ${method}: its deadline passed before it was sent`,
        ),
      )
    }
    return redisCall(commands, method, deadline + LATE_REPLY_MS, async () =>
      work(String(await clock.fence(deadline))),
    )
  }
}
