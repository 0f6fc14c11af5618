import { resolveConfig } from './config'
import { DUMMY_DIGEST, hexTailsEqual, hexTailsMatch } from './digest'
import { effectiveState } from './expiry'
import { toKey } from './key-view'
import type { EffectiveConfig, Key, KeyRecord, Organisation, Slot, SlotRecord } from './types'

/** Why a token was refused. The first three must look identical to a client. */
export type VerifyFailureCode =
  | 'malformed'
  | 'not_found'
  | 'invalid'
  | 'deactivated'
  | 'blocked'
  | 'expired'

export interface VerifySuccess {
  ok: true
  /**
   * The key at verification time; `key.organisation`, `key.type`, `key.permissions` included.
   * Through `kc.verify` it may be deep-frozen and shared by the verifications of one stored
   * version of the key (as may `config`): read it, copy it to change it.
   */
  key: Key
  /** Which slot the token belongs to. */
  slot: Slot
  /** True when the token is a retiring one, still accepted until `graceEndsAt`. */
  rotating: boolean
  /** Epoch ms when a retiring token stops working; null for a current token. */
  graceEndsAt: number | null
  config: EffectiveConfig
  /**
   * Epoch ms at which the key's record was read from the store: now for an uncached answer,
   * earlier (within the cache's bound) for a cached one.
   */
  checkedAt: number
}

export interface VerifyFailure {
  ok: false
  code: VerifyFailureCode
  /** As {@link VerifySuccess.checkedAt}; for `malformed`, the time of the call (no read). */
  checkedAt: number
}

/** The outcome of `verify`: a value, never an exception, for any token. */
export type VerifyResult = VerifySuccess | VerifyFailure

// A slot's retiring token while its grace window is open at `now`, else null.
function liveRetiring(slot: SlotRecord | null | undefined, now: number) {
  const retiring = slot?.retiring
  return retiring && retiring.until > now ? retiring : null
}

/** The key's public view and effective config at `now`, as a success result carries them. */
export type VerifyView = (
  record: KeyRecord,
  organisation: Organisation,
  now: number,
) => { key: Key; config: EffectiveConfig }

const freshView: VerifyView = (record, organisation, now) => ({
  key: toKey(record, now),
  config: resolveConfig(record, organisation),
})

/**
 * Decides a verification at `now` given what the store returned (null for an unknown key) and
 * `digest`, which digests the presented secret the way a stored digest was made (null when
 * its pepper is unknown: no match). Every candidate is compared, without stopping early; the
 * state-specific codes are only given after the secret has matched. A plain string stands for
 * a digest computed once (one pepper). `checkedAt` is when `found` was read (default `now`).
 * `view` builds the success result's key and config (default: fresh objects each time).
 */
export function decideVerification(
  found: { key: KeyRecord; organisation: Organisation } | null,
  digest: string | ((stored: string) => string | null),
  now: number,
  checkedAt: number = now,
  view: VerifyView = freshView,
): VerifyResult {
  const digestLike = typeof digest === 'string' ? () => digest : digest
  // Always four comparisons — each slot's current and retiring digest, the dummy standing in
  // for an empty slot or a dead grace window — so the work done does not depend on how many
  // tokens a key has, which one matches, or whether the key exists at all. No early exit.
  const record = found?.key
  const primary = record?.primary
  const secondary = record?.secondary
  const primaryGrace = liveRetiring(primary, now)
  const secondaryGrace = liveRetiring(secondary, now)
  const a = primary ? primary.digest : DUMMY_DIGEST
  const b = primaryGrace ? primaryGrace.digest : DUMMY_DIGEST
  const c = secondary ? secondary.digest : DUMMY_DIGEST
  const d = secondaryGrace ? secondaryGrace.digest : DUMMY_DIGEST
  const pa = digestLike(a)
  const pb = digestLike(b)
  const pc = digestLike(c)
  const pd = digestLike(d)
  // One pepper in play (always, outside a pepper rotation): one pass over the four.
  const equal =
    pa !== null && pa === pb && pa === pc && pa === pd
      ? hexTailsMatch(pa, a, b, c, d)
      : (hexTailsEqual(pa, a) ? 1 : 0) |
        (hexTailsEqual(pb, b) ? 2 : 0) |
        (hexTailsEqual(pc, c) ? 4 : 0) |
        (hexTailsEqual(pd, d) ? 8 : 0)
  // The dummy never counts, even should a secret ever digest to it.
  const real =
    (primary ? 1 : 0) | (primaryGrace ? 2 : 0) | (secondary ? 4 : 0) | (secondaryGrace ? 8 : 0)
  const matched = equal & real
  // A current token wins over its slot's retiring one; the primary slot over the secondary.
  const slot: Slot | null = matched & 3 ? 'primary' : matched & 12 ? 'secondary' : null
  const grace =
    matched & 1 ? null : matched & 2 ? primaryGrace : matched & 4 ? null : secondaryGrace
  const until = slot === null || grace === null ? null : grace.until
  if (found === null) return { ok: false, code: 'not_found', checkedAt }
  if (slot === null) return { ok: false, code: 'invalid', checkedAt }
  const state = effectiveState(found.key, now)
  if (state !== 'active') return { ok: false, code: state, checkedAt }
  const { key, config } = view(found.key, found.organisation, now)
  return { ok: true, key, slot, rotating: until !== null, graceEndsAt: until, config, checkedAt }
}
