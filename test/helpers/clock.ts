import type { Clock } from '../../src/service/options'

/** A clock that only moves when told to. Starts at a fixed instant in 2026. */
export interface ManualClock extends Clock {
  set(now: number): void
  advance(ms: number): void
}

export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0)

export function manualClock(start = T0): ManualClock {
  let current = start
  return {
    now: () => current,
    set(now) {
      current = now
    },
    advance(ms) {
      current += ms
    },
  }
}

export const HOUR = 3_600_000
export const DAY = 24 * HOUR
