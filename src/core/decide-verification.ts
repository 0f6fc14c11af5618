import { DUMMY_DIGEST, hexTailsEqual, hexTailsMatch } from './digest'
import { effectiveState } from './expiry'
import type { KeyRecord, Organisation, RetiringToken, Slot, SlotRecord } from './types'
import type { VerifyFailureCode } from './verify-result'

/** What the presented secret and the key's state decided, before any view is built. */
export type Verdict =
  | {
      readonly ok: true
      readonly slot: Slot
      /** The matched token's grace deadline (epoch ms) when it is a retiring one, else null. */
      readonly graceEndsAt: number | null
      /** The stored digest that matched: the token's identity for last-used and re-digests. */
      readonly stored: string
    }
  | { readonly ok: false; readonly code: VerifyFailureCode }

/** What {@link decideVerification} decides on. */
export interface VerificationInput {
  /** What the store answered for the token's key ID; null for an unknown key. */
  found: { key: KeyRecord; organisation: Organisation } | null
  /**
   * The presented secret digested the way `stored` was made (under the pepper it names), or
   * null when that pepper is not configured (no match). Called once per candidate, four times.
   */
  digestFor(stored: string): string | null
  /**
   * Instead of `digestFor`, for a signed request: which of the four live candidates (each
   * slot's current token, then its retiring one in its grace window; null where there is none)
   * signed it, as the bits of `signatureMatches`' answer (`src/core/request-signature.ts`).
   */
  matches?(candidates: Candidates): number
  /** Epoch ms of the decision (grace windows and expiry are judged at this instant). */
  now: number
}

/** A key's four candidates: current primary, retiring primary, current and retiring secondary. */
export type Candidates = readonly [
  SlotRecord | null,
  RetiringToken | null,
  SlotRecord | null,
  RetiringToken | null,
]

// Refusals carry nothing of their own: one frozen object per code.
const refused = (code: VerifyFailureCode): Verdict => Object.freeze({ ok: false, code })
const NOT_FOUND = refused('not_found')
const INVALID = refused('invalid')
const STATE: Record<'deactivated' | 'blocked' | 'expired', Verdict> = {
  deactivated: refused('deactivated'),
  blocked: refused('blocked'),
  expired: refused('expired'),
}

// The four candidates, as bits of the comparison's mask (see `hexTailsMatch`).
const CURRENT_PRIMARY = 1
const RETIRING_PRIMARY = 2
const CURRENT_SECONDARY = 4
const RETIRING_SECONDARY = 8

// A slot's retiring token while its grace window is open at `now`, else null.
function liveRetiring(slot: SlotRecord | null | undefined, now: number) {
  const retiring = slot?.retiring
  return retiring && retiring.until > now ? retiring : null
}

// The presented secret's digest against the four stored ones.
function digestsMatch(
  digestFor: (stored: string) => string | null,
  a: string,
  b: string,
  c: string,
  d: string,
): number {
  const pa = digestFor(a)
  const pb = digestFor(b)
  const pc = digestFor(c)
  const pd = digestFor(d)
  // One pepper in play (always, outside a pepper rotation): one pass over the four.
  return pa !== null && pa === pb && pa === pc && pa === pd
    ? hexTailsMatch(pa, a, b, c, d)
    : (hexTailsEqual(pa, a) ? CURRENT_PRIMARY : 0) |
        (hexTailsEqual(pb, b) ? RETIRING_PRIMARY : 0) |
        (hexTailsEqual(pc, c) ? CURRENT_SECONDARY : 0) |
        (hexTailsEqual(pd, d) ? RETIRING_SECONDARY : 0)
}

/**
 * Decides a verification at `now`: whether the presented secret matches one of the key's live
 * tokens, then whether the key's effective state lets it through. The state-specific codes are
 * only given after the secret has matched; an unknown key is `not_found` and a wrong secret
 * `invalid`, which a client must not be able to tell apart.
 *
 * Always four comparisons — each slot's current and retiring digest, the dummy standing in for
 * an empty slot or a dead grace window — without stopping early, so the work does not depend
 * on how many tokens a key has, which one matches, or whether the key exists at all.
 */
export function decideVerification({ found, digestFor, matches, now }: VerificationInput): Verdict {
  const record = found?.key
  const primary = record?.primary
  const secondary = record?.secondary
  const primaryGrace = liveRetiring(primary, now)
  const secondaryGrace = liveRetiring(secondary, now)
  const a = primary ? primary.digest : DUMMY_DIGEST
  const b = primaryGrace ? primaryGrace.digest : DUMMY_DIGEST
  const c = secondary ? secondary.digest : DUMMY_DIGEST
  const d = secondaryGrace ? secondaryGrace.digest : DUMMY_DIGEST
  const equal = matches
    ? matches([primary ?? null, primaryGrace, secondary ?? null, secondaryGrace])
    : digestsMatch(digestFor, a, b, c, d)
  // The dummy never counts, even should a secret ever digest to it.
  const real =
    (primary ? CURRENT_PRIMARY : 0) |
    (primaryGrace ? RETIRING_PRIMARY : 0) |
    (secondary ? CURRENT_SECONDARY : 0) |
    (secondaryGrace ? RETIRING_SECONDARY : 0)
  const hits = equal & real
  if (found === null) return NOT_FOUND
  // A signature-only key's token is no bearer credential: as a wrong one.
  if (hits === 0 || (!matches && found.key.signatureOnly)) return INVALID
  const state = effectiveState(found.key, now)
  if (state !== 'active') return STATE[state]
  // A current token wins over its slot's retiring one; the primary slot over the secondary.
  if (hits & CURRENT_PRIMARY) return { ok: true, slot: 'primary', graceEndsAt: null, stored: a }
  if (hits & RETIRING_PRIMARY) {
    return { ok: true, slot: 'primary', graceEndsAt: primaryGrace!.until, stored: b }
  }
  if (hits & CURRENT_SECONDARY) return { ok: true, slot: 'secondary', graceEndsAt: null, stored: c }
  return { ok: true, slot: 'secondary', graceEndsAt: secondaryGrace!.until, stored: d }
}
