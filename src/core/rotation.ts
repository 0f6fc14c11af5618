import { touch } from './audit'
import { KeycycleError } from './errors'
import { effectiveState } from './expiry'
import { freshSlot, type MintedDigest } from './keys'
import { isRevokedDigest } from './leaks'
import type { Actor, KeyRecord, Slot, SlotRecord } from './types'

/** Default grace period of a non-forced rotation: 6 hours in ms. */
export const DEFAULT_GRACE_PERIOD_MS = 6 * 3_600_000

function assertMintable(
  record: KeyRecord,
  action: 'rotate' | 'regenerate',
  actor: Actor,
  now: number,
) {
  const state = effectiveState(record, now)
  if (state === 'blocked' || state === 'expired') {
    throw new KeycycleError('invalid_transition', `cannot ${action} a ${state} key`, {
      details: { from: state, to: state, actor: actor.kind },
    })
  }
}

function withSlot(record: KeyRecord, slot: Slot, value: SlotRecord): KeyRecord {
  return slot === 'primary' ? { ...record, primary: value } : { ...record, secondary: value }
}

// A record turned signing or not: a key that stops signing keeps no sealed token, and a
// signature-only key that stops signing takes bearer tokens again.
function signingAs(record: KeyRecord, signing: boolean): KeyRecord {
  if (signing) return { ...record, signing }
  const unsealed = (slot: SlotRecord | null): SlotRecord | null => {
    if (slot === null) return null
    const { sealed: _, ...rest } = slot
    if (rest.retiring === null) return rest
    const { sealed: __, ...retiring } = rest.retiring
    return { ...rest, retiring }
  }
  return {
    ...record,
    signing,
    signatureOnly: false,
    primary: unsealed(record.primary)!,
    secondary: unsealed(record.secondary),
  }
}

/** The outcome of a rotation: the record to write and the old token's deadline, if any. */
export interface Rotation {
  record: KeyRecord
  graceEndsAt: number | null
}

/**
 * Mints a new current token for `slot` (`docs/decisions.md#rotation-and-regeneration`). Without `force` the previous token keeps
 * working until `now + gracePeriodMs`, capped at the key's `expiresAt`; with `force`, or a zero
 * grace, it stops at once. A token already retiring in that slot is revoked either way: a slot
 * holds at most one. Rotating an empty secondary slot creates it. A current token revoked as
 * leaked gets no grace. Refused for blocked and expired keys. `signing` turns signing on or off
 * (default: as the key is); a signing key's new token must come sealed (`validation` otherwise).
 */
export function rotate(
  record: KeyRecord,
  options: { slot: Slot; force: boolean; signing?: boolean },
  minted: MintedDigest,
  actor: Actor,
  now: number,
  gracePeriodMs: number,
): Rotation {
  assertMintable(record, 'rotate', actor, now)
  const signing = options.signing ?? record.signing
  if (signing !== (minted.sealed !== undefined)) {
    throw new KeycycleError('validation', "signing: a signing key's new token must be sealed", {
      details: { field: 'signing' },
    })
  }
  const previous = options.slot === 'primary' ? record.primary : record.secondary
  const slot = freshSlot(minted, now)
  let graceEndsAt: number | null = null
  // A revoked (leaked) token is not given a grace period: it stopped working already.
  const live = previous !== null && !isRevokedDigest(previous.digest)
  if (previous !== null && live && !options.force && gracePeriodMs > 0) {
    graceEndsAt = Math.min(now + gracePeriodMs, record.expiresAt ?? Number.POSITIVE_INFINITY)
    slot.retiring = {
      digest: previous.digest,
      hint: previous.hint,
      until: graceEndsAt,
      lastUsedAt: previous.lastUsedAt,
      ...(previous.sealed === undefined || minted.sealed === undefined
        ? {}
        : { sealed: previous.sealed }),
    }
  }
  const next = withSlot(record, options.slot, slot)
  return { record: touch(signingAs(next, signing), actor, now), graceEndsAt }
}

/**
 * NCP regeneration: replaces the value of `slot`, and the old value (with anything retiring in
 * that slot) stops working at once. Regenerating an empty secondary slot creates it. Refused
 * for blocked and expired keys.
 */
export function regenerate(
  record: KeyRecord,
  slot: Slot,
  minted: MintedDigest,
  actor: Actor,
  now: number,
): KeyRecord {
  assertMintable(record, 'regenerate', actor, now)
  if (record.signing !== (minted.sealed !== undefined)) {
    throw new KeycycleError('validation', "signing: a signing key's new token must be sealed", {
      details: { field: 'signing' },
    })
  }
  return touch(withSlot(record, slot, freshSlot(minted, now)), actor, now)
}
