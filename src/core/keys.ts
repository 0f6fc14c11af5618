import { actorRef, touch } from './audit'
import { mergeConfig } from './config'
import { invalidInput } from './errors'
import { capRetiringSlots, effectiveState } from './expiry'
import type { CreditsInput, ParsedCreateKey, ParsedKeyPatch } from './inputs'
import { transition } from './states'
import type { Actor, CreditRefill, KeyRecord, KeyState, SlotRecord, StoredCredits } from './types'

/** Default trial length: 14 days in ms. */
export const DEFAULT_TRIAL_DURATION_MS = 14 * 86_400_000

/** A freshly minted token as a slot stores it. */
export interface MintedDigest {
  digest: string
  hint: string
  /** The token sealed, for a signing key (see `SlotRecord.sealed`). */
  sealed?: string
}

/** A slot holding one current token minted at `now` and nothing retiring. */
export function freshSlot(minted: MintedDigest, now: number): SlotRecord {
  return {
    digest: minted.digest,
    hint: minted.hint,
    rotatedAt: now,
    lastUsedAt: null,
    retiring: null,
    ...(minted.sealed === undefined ? {} : { sealed: minted.sealed }),
  }
}

function assertFuture(expiresAt: number | null | undefined, now: number): void {
  if (expiresAt != null && expiresAt <= now)
    throw invalidInput('expiresAt', 'must be in the future')
}

const sameRefill = (a: CreditRefill | null, b: CreditRefill | null) =>
  a === b || (a !== null && b !== null && a.amount === b.amount && a.intervalMs === b.intervalMs)

/**
 * The credits a create or an update stores, from what it gave (`given`), what the key holds
 * (`current`, null at creation or when it has none) and the version the write gives the key.
 * Absent members are kept; `remaining` is required when there is nothing to keep. Giving
 * `remaining`, even the current value, starts a new balance: `generation` becomes `version`, so
 * the counters drop the balance they hold. A new `refill` (or credits where there were none)
 * counts its intervals from `now` (`refillFrom`); an unchanged one keeps its anchor.
 */
export function storedCredits(
  current: StoredCredits | null,
  given: CreditsInput,
  version: number,
  now: number,
): StoredCredits {
  const remaining = given.remaining ?? current?.remaining
  if (remaining === undefined) {
    throw invalidInput('credits.remaining', 'required: the key has no credits to keep')
  }
  const refill = given.refill === undefined ? (current?.refill ?? null) : given.refill
  const generation =
    current === null || given.remaining !== undefined ? version : current.generation
  const refillFrom =
    current === null || !sameRefill(current.refill, refill) ? now : current.refillFrom
  return { remaining, refill, generation, refillFrom }
}

/**
 * The record for a new key, version 1, active. A trial key without `expiresAt` expires after
 * `trialDurationMs`; an explicit `expiresAt` must lie in the future.
 */
export function newKeyRecord(
  input: ParsedCreateKey,
  id: string,
  primary: MintedDigest,
  actor: Actor,
  now: number,
  trialDurationMs: number,
): KeyRecord {
  const type = input.type ?? 'standard'
  assertFuture(input.expiresAt, now)
  if (input.signatureOnly === true && input.signing !== true) {
    throw invalidInput('signatureOnly', 'needs signing: true')
  }
  if (input.signing === true && primary.sealed === undefined) {
    throw invalidInput('signing', 'the token must be sealed')
  }
  const defaultExpiry = type === 'trial' ? now + trialDurationMs : null
  return {
    id,
    organisation: input.organisation,
    type,
    state: 'active',
    name: input.name ?? null,
    description: input.description ?? null,
    config: mergeConfig({}, input.config ?? null),
    storageConfig: input.storageConfig ?? null,
    webhookConfig: input.webhookConfig ?? null,
    permissions: input.permissions ?? [],
    metadata: input.metadata ?? null,
    createdAt: now,
    modifiedAt: now,
    modifiedBy: actorRef(actor),
    expiresAt: input.expiresAt === undefined ? defaultExpiry : input.expiresAt,
    primary: freshSlot(primary, now),
    secondary: null,
    rateLimits: input.rateLimits ?? null,
    credits: input.credits ? storedCredits(null, input.credits, 1, now) : null,
    allowedIps: input.allowedIps ?? null,
    signing: input.signing ?? false,
    signatureOnly: input.signatureOnly ?? false,
    version: 1,
  }
}

/** The outcome of a patch; `changed` lists the fields whose value differs. */
export interface PatchResult {
  record: KeyRecord
  changed: string[]
  stateChange: { from: KeyState; to: KeyState } | null
}

/**
 * Applies an update at `now`. Fields absent from the patch are kept; `null` config IDs revert to
 * the organisation default. A future `expiresAt` on an expired key is the admin's *extend*
 * (expired → active); on any other key it just moves the date, and retiring tokens are capped to
 * it. `credits` merges as {@link storedCredits} says (so giving `remaining` is always a change:
 * it starts a new balance); `rateLimits` and `allowedIps` are replaced whole. A patch that
 * changes nothing returns `changed: []` and the record untouched.
 */
export function applyKeyPatch(
  record: KeyRecord,
  patch: ParsedKeyPatch,
  actor: Actor,
  now: number,
): PatchResult {
  if (patch.signatureOnly === true && !record.signing) {
    throw invalidInput('signatureOnly', 'needs a signing key (rotate with signing: true first)')
  }
  let next: KeyRecord = { ...record }
  // Plain fields are replaced as given; config merges field by field, credits member by member
  // (in the version this write gives the key), and expiry moves state.
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined || field === 'expiresAt') continue
    if (field === 'config') next.config = mergeConfig(record.config, patch.config ?? null)
    else if (field === 'credits') {
      const given = patch.credits ?? null
      next.credits = given && storedCredits(record.credits, given, record.version + 1, now)
    } else (next as unknown as Record<string, unknown>)[field] = value
  }

  let stateChange: PatchResult['stateChange'] = null
  if (patch.expiresAt !== undefined && patch.expiresAt !== record.expiresAt) {
    if (effectiveState(record, now) === 'expired') {
      const extended = transition(next, 'extend', actor, now, patch.expiresAt)
      next = extended.record
      stateChange = { from: extended.from, to: extended.to }
    } else {
      assertFuture(patch.expiresAt, now)
      next = capRetiringSlots({ ...next, expiresAt: patch.expiresAt })
    }
  }

  const changed = (Object.keys(patch) as (keyof ParsedKeyPatch)[]).filter(
    (field) => JSON.stringify(next[field]) !== JSON.stringify(record[field]),
  )
  if (changed.length === 0) return { record, changed, stateChange: null }
  // transition() already stamped the record when it extended; stamp exactly once.
  return { record: stateChange ? next : touch(next, actor, now), changed, stateChange }
}
