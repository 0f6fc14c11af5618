import type { KeyRecord, Slot } from './types'

/** Default lead time of `key.expiring` before `expiresAt`: 3 days, in ms. */
export const DEFAULT_EXPIRING_LEAD_MS = 3 * 86_400_000

/** A clock event a write schedules: what it will say, and when it becomes due (epoch ms). */
export type ScheduledEvent =
  | { type: 'key.expiring'; expiresAt: number; due: number }
  | { type: 'key.grace_ended'; slot: Slot; endedAt: number; due: number }

/**
 * The clock events a key write makes due later (`docs/decisions.md#events-and-the-outbox`): `key.expiring` `leadMs` before a new
 * or changed `expiresAt` (at once when that is already inside the lead time; none when the key
 * is already past it), and `key.grace_ended` when a new retiring token's grace ends. They are
 * recorded with the write, so each is scheduled exactly once however many instances run; a
 * later write that makes one stale does not remove it — {@link isScheduleCurrent} drops it at
 * delivery. `before` is null for a new key.
 */
export function scheduledEvents(
  before: KeyRecord | null,
  after: KeyRecord,
  now: number,
  leadMs: number,
): ScheduledEvent[] {
  const out: ScheduledEvent[] = []
  const { expiresAt } = after
  if (expiresAt !== null && expiresAt > now && expiresAt !== before?.expiresAt) {
    out.push({ type: 'key.expiring', expiresAt, due: Math.max(now, expiresAt - leadMs) })
  }
  for (const slot of ['primary', 'secondary'] as const) {
    const until = after[slot]?.retiring?.until
    if (until !== undefined && until > now && until !== before?.[slot]?.retiring?.until) {
      out.push({ type: 'key.grace_ended', slot, endedAt: until, due: until })
    }
  }
  return out
}

/**
 * Whether a scheduled event still describes the key when it comes due: the key exists and
 * still expires at the announced time (`key.expiring`), or still holds the retiring token
 * whose end it announces (`key.grace_ended` — a forced rotation or regeneration that cut the
 * grace short has its own event, and the stale one is dropped).
 */
export function isScheduleCurrent(
  event:
    | { type: 'key.expiring'; expiresAt: number }
    | { type: 'key.grace_ended'; slot: Slot; endedAt: number },
  current: KeyRecord | null,
): boolean {
  if (current === null) return false
  if (event.type === 'key.expiring') return current.expiresAt === event.expiresAt
  return current[event.slot]?.retiring?.until === event.endedAt
}

/**
 * When a failed delivery is due again: `baseMs` doubled per earlier failure, capped at `maxMs`,
 * with up to 25 % taken off at random (`jitter` in [0, 1)) so retries of many events spread out.
 * `attempts` counts failures so far, ≥ 1.
 */
export function retryAt(
  now: number,
  attempts: number,
  baseMs: number,
  maxMs: number,
  jitter: number,
): number {
  const delay = Math.min(maxMs, baseMs * 2 ** Math.min(attempts - 1, 40))
  return now + Math.round(delay * (1 - jitter / 4))
}
