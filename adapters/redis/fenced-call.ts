import { KeycycleError } from '../../src/core/errors'
import type { WriteOptions } from '../../src/store'
import { type Commands, type RedisClient, redisCall } from './client'
import { serverClock } from './server-clock'

/**
 * How long a fenced write waits past its deadline for the reply of a script applied just
 * before the fence (ms), before it answers `unavailable`.
 */
const LATE_REPLY_MS = 100

/** How often the server clock is measured again while writes come (ms). */
const CLOCK_REFRESH_MS = 10_000

/** Runs one write: `work` gets the fence its scripts carry (`''` for none). */
export type FencedCall = <T>(
  method: string,
  options: WriteOptions | undefined,
  work: (fence: string) => Promise<T>,
) => Promise<T>

/**
 * Writes within their deadline (SPEC §7). Without a deadline a write is an ordinary call
 * (`timeoutMs`). With one it is refused at once, sending nothing, when the deadline has passed;
 * otherwise its scripts carry the deadline as a fence in the server's time (see
 * `server-clock.ts`), and the call answers `unavailable` by the deadline plus 100 ms (or
 * `timeoutMs`, if sooner) when the server has not replied. A script refuses past its fence, so
 * nothing commits after that answer, whatever ioredis resends.
 */
export function fencedCalls(
  client: RedisClient,
  commands: Commands,
  timeoutMs: number,
): FencedCall {
  const clock = serverClock(client, { refreshMs: CLOCK_REFRESH_MS, timeoutMs })
  return (method, options, work) => {
    const deadline = options?.deadline
    if (deadline === undefined) return redisCall(commands, method, timeoutMs, () => work(''))
    const left = deadline - Date.now()
    if (left <= 0) {
      return Promise.reject(
        new KeycycleError(
          'unavailable',
          `redis: ${method}: its deadline passed before it was sent`,
        ),
      )
    }
    return redisCall(commands, method, Math.min(timeoutMs, left + LATE_REPLY_MS), async () =>
      work(String(await clock.fence(deadline))),
    )
  }
}
