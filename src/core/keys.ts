import { actorRef, touch } from './audit'
import { mergeConfig } from './config'
import { invalidInput } from './errors'
import { capRetiringSlots, effectiveState } from './expiry'
import type { ParsedCreateKey, ParsedKeyPatch } from './inputs'
import { transition } from './states'
import type { Actor, KeyRecord, KeyState, SlotRecord } from './types'

/** Default trial length: 14 days in ms. */
export const DEFAULT_TRIAL_DURATION_MS = 14 * 86_400_000

/** A freshly minted token as a slot stores it. */
export interface MintedDigest {
  digest: string
  hint: string
}

/** A slot holding one current token minted at `now` and nothing retiring. */
export function freshSlot(minted: MintedDigest, now: number): SlotRecord {
  return {
    digest: minted.digest,
    hint: minted.hint,
    rotatedAt: now,
    lastUsedAt: null,
    retiring: null,
  }
}

function assertFuture(expiresAt: number | null | undefined, now: number): void {
  if (expiresAt != null && expiresAt <= now)
    throw invalidInput('expiresAt', 'must be in the future')
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
    rateLimits: null,
    credits: null,
    allowedIps: null,
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
 * it. A patch that changes nothing returns `changed: []` and the record untouched.
 */
export function applyKeyPatch(
  record: KeyRecord,
  patch: ParsedKeyPatch,
  actor: Actor,
  now: number,
): PatchResult {
  let next: KeyRecord = { ...record }
  // Plain fields are replaced as given; config merges field by field, and expiry moves state.
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined || field === 'expiresAt') continue
    if (field === 'config') next.config = mergeConfig(record.config, patch.config ?? null)
    else (next as unknown as Record<string, unknown>)[field] = value
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
