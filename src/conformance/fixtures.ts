import { bytesToHex } from '@noble/hashes/utils.js'
import { newId } from '../core/ids'
import { newKeyRecord } from '../core/keys'
import type { Actor, KeyRecord } from '../core/types'
import type { Clock } from '../service/options'

/** A fixed instant, 2026-01-15T12:00:00Z: where every {@link manualClock} starts by default. */
export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0)
/** One hour in ms. */
export const HOUR = 3_600_000
/** One day in ms. */
export const DAY = 24 * HOUR

/** The administrator the suites act as. */
export const ADMIN: Actor = { kind: 'admin', id: 'ops' }

/** A clock that only moves when told to, so tests never sleep. */
export interface ManualClock extends Clock {
  /** Moves the clock to `now` (epoch ms), forwards or back. */
  set(now: number): void
  /** Moves the clock forwards by `ms`. */
  advance(ms: number): void
}

/**
 * A {@link ManualClock} starting at `start` (default {@link T0}).
 *
 * @example
 * ```ts
 * const clock = manualClock()
 * const kc = createKeycycle({ store, clock })
 * clock.advance(6 * HOUR)
 * ```
 */
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

/** `n` bytes from Web Crypto: for IDs and digests in fixtures. */
export function randomBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n))
}

/** A digest-like value (64 hex digits) with its hint, unique per call. */
export function fakeDigest(): { digest: string; hint: string } {
  const hex = bytesToHex(randomBytes(32))
  return { digest: hex, hint: `*****${hex.slice(-4)}` }
}

/**
 * A stored key record as the core builds it: an active standard key created at {@link T0}, in
 * a fresh organisation unless `overrides` names one.
 *
 * @example
 * ```ts
 * const trial = keyRecord({ organisation: org.id, type: 'trial', expiresAt: T0 + DAY })
 * ```
 */
export function keyRecord(overrides: Partial<KeyRecord> = {}): KeyRecord {
  const organisation = newId('org', T0, randomBytes(16))
  const record = newKeyRecord(
    { organisation },
    newId('key', T0, randomBytes(16)),
    fakeDigest(),
    { kind: 'organisation', id: organisation },
    T0,
    14 * DAY,
  )
  return { ...record, ...overrides }
}
