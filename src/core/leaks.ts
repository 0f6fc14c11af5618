import { touch } from './audit'
import { hexTailsEqual } from './digest'
import type { KeyRecord, Slot, SlotRecord, SystemActor } from './types'

// A leaked current token is revoked by keeping its digest under a mark no pepper ID can carry
// (`!`, then the pepper ID, `$`, the hex): `Digests.like` finds no pepper of that name and
// answers null, so it matches no secret in verification, while a report of the same token
// again is still recognised (and answered a true positive, with nothing more to revoke).
const REVOKED = '!'

/** Whether a stored digest is a revoked one (see {@link revokedDigest}). */
export function isRevokedDigest(stored: string): boolean {
  return stored.startsWith(REVOKED)
}

/**
 * The stored form of a revoked token's digest: `!<pepper ID>$<hex>` (`!$<hex>` for a digest
 * made with no pepper or the legacy one). It verifies nothing: verification looks for a
 * pepper named `!…`, which cannot exist. Idempotent.
 */
export function revokedDigest(stored: string): string {
  if (isRevokedDigest(stored)) return stored
  return stored.includes('$') ? `${REVOKED}${stored}` : `${REVOKED}$${stored}`
}

/** The digest a revoked one was made from (the inverse of {@link revokedDigest}). */
export function unrevokedDigest(revoked: string): string {
  const rest = revoked.slice(REVOKED.length)
  return rest.startsWith('$') ? rest.slice(1) : rest
}

/** Which of a key's tokens a leaked token is, and whether it still works. */
export interface LeakedToken {
  slot: Slot
  /** The slot's current token, or its retiring one (within its grace period). */
  which: 'current' | 'retiring'
  /** True when it was revoked already (by an earlier report): it verifies nothing now. */
  revoked: boolean
}

/**
 * Which token of `record` a presented secret is, at `now`: a slot's current token (revoked or
 * not), or its retiring token while its grace period is open; null for none (a false
 * positive: a made-up, rotated-out or expired-grace token). `digestFor(stored)` gives the
 * presented secret digested the way `stored` was made (null: a pepper not configured). The
 * key's state does not count: a blocked key's token is a leaked token all the same.
 */
export function findLeakedToken(
  record: KeyRecord,
  digestFor: (stored: string) => string | null,
  now: number,
): LeakedToken | null {
  for (const slot of ['primary', 'secondary'] as const) {
    const value: SlotRecord | null = record[slot]
    if (value === null) continue
    const revoked = isRevokedDigest(value.digest)
    const current = revoked ? unrevokedDigest(value.digest) : value.digest
    if (hexTailsEqual(digestFor(current), current)) return { slot, which: 'current', revoked }
    const retiring = value.retiring
    if (retiring !== null && retiring.until > now) {
      if (hexTailsEqual(digestFor(retiring.digest), retiring.digest)) {
        return { slot, which: 'retiring', revoked: false }
      }
    }
  }
  return null
}

const SYSTEM: SystemActor = { kind: 'system' }

/**
 * The record with a leaked token stopped at once, as the system's write at `now`: a current
 * token's digest is kept revoked (the slot keeps its hint, times and place; the owner rotates or
 * regenerates it to get a new token), a retiring token is dropped. The key keeps its ID, its
 * state, its other tokens and its counters. Returns null when there is nothing to revoke.
 */
export function revokeLeakedToken(
  record: KeyRecord,
  leaked: LeakedToken,
  now: number,
): KeyRecord | null {
  const value = record[leaked.slot]
  if (value === null || leaked.revoked) return null
  // A signing key's revoked token loses its sealed copy too: it must not sign either.
  const { sealed: _, ...unsealed } = value
  const next: SlotRecord =
    leaked.which === 'current'
      ? { ...unsealed, digest: revokedDigest(value.digest) }
      : { ...value, retiring: null }
  return touch({ ...record, [leaked.slot]: next }, SYSTEM, now)
}

/**
 * The record written to announce a leak without changing the key (the `notify` policy, or a
 * token revoked already): only `version` moves, so the event is recorded by a compare-and-set
 * like any other, in the key's order; `modifiedAt` and `modifiedBy` stay.
 */
export function noteLeak(record: KeyRecord): KeyRecord {
  return { ...record, version: record.version + 1 }
}
