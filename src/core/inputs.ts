import type { KeyConfigPatch } from './config'
import { invalidInput, KeycycleError } from './errors'
import { isKeyId, isOrganisationId } from './ids'
import {
  DEACTIVATE_OPTIONS,
  DEFAULT_LIST_LIMIT,
  type InstantInput,
  KEY_FIELDS,
  LIST_QUERY,
  MAX_ACTOR_ID_LENGTH,
  ORGANISATION_FIELDS,
  parseInput,
  ROTATE_OPTIONS,
  type Schema,
  type WritableName,
} from './schema'
import type {
  Actor,
  ConfigId,
  CreditRefill,
  KeyState,
  KeyType,
  Metadata,
  RateLimit,
  Slot,
} from './types'
import { SLOTS } from './types'
import { readEnum, readObject, readString } from './validate'

// The shapes below are the public TypeScript view of the schemas in ./schema, which decide
// validation. `SameNames` checks at compile time that each lists exactly the fields its schema
// lets callers set, so the two cannot drift apart.
type SameNames<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
type Assert<T extends true> = T

/**
 * A rate limit as callers set it: `scope` defaults to `key`. `name` 1–32 of `[a-z0-9_-]`,
 * unique in its list; `limit` 1–1,000,000 units; `windowMs` 1,000–86,400,000 ms.
 * @inline
 */
export type RateLimitInput = Omit<RateLimit, 'scope'> & { scope?: RateLimit['scope'] }

/**
 * Credits as callers set them. `remaining` (0–10^12) is required when the key has none yet;
 * in an update an absent member is kept. Setting `remaining` starts a new balance, even when it
 * equals the current one. `refill` (`amount` 0–10^12, `intervalMs` 1,000 ms–366 days) replaces
 * the balance every `intervalMs`, counted from the key's creation or the last change of
 * `refill`; `null` never refills.
 * @inline
 */
export interface CreditsInput {
  remaining?: number
  refill?: CreditRefill | null
}

/**
 * Usage control as admins set it on a key (organisations read it; setting it is `forbidden`
 * to them). `null` clears a field.
 */
interface KeyUsageInput {
  /**
   * Admin only: up to 8 limits, each a bucket of `limit` units refilled at `limit` per
   * `windowMs`. `[]`: none of the key's own; `null`: the organisation's apply.
   */
  rateLimits?: RateLimitInput[] | null
  /** Admin only: what verifications spend; `null`: unlimited. */
  credits?: CreditsInput | null
  /**
   * Admin only: up to 64 IPv4/IPv6 addresses or CIDR blocks the key may be used from, stored
   * normalised; `null`: the organisation's (none there: anywhere).
   */
  allowedIps?: string[] | null
}

/**
 * Input of `createKey`. `type`, `permissions`, `expiresAt`, `rateLimits`, `credits` and
 * `allowedIps` are admin only.
 */
export interface CreateKeyInput extends KeyUsageInput {
  /** The owning organisation: an organisation handle's own by default; admins must name it. */
  organisation?: string
  /** Admin only; default `standard`. A trial key without `expiresAt` gets the trial length. */
  type?: KeyType
  name?: string | null
  description?: string | null
  config?: KeyConfigPatch | null
  storageConfig?: ConfigId | null
  webhookConfig?: ConfigId | null
  /** Admin only. */
  permissions?: string[]
  /**
   * Admin only: when the key expires, in the future; a `Date` or epoch ms (reads answer epoch
   * ms, the HTTP API's `date_expires` is ISO 8601). `null` for never.
   */
  expiresAt?: InstantInput | null
  /** Host-defined JSON object (≤ 4 KiB encoded). */
  metadata?: Metadata | null
  /**
   * Keep the key's tokens sealed so that signed requests verify (`kc.verifyRequest`); needs
   * `secretEncryption` (else `validation`). Default false.
   */
  signing?: boolean
  /** Refuse the key's token as a bearer credential; needs `signing`. Default false. */
  signatureOnly?: boolean
}

/** Input of `updateKey`: absent leaves a field alone, `null` reverts to the organisation default. */
export interface KeyPatch extends KeyUsageInput {
  name?: string | null
  description?: string | null
  config?: KeyConfigPatch | null
  storageConfig?: ConfigId | null
  webhookConfig?: ConfigId | null
  /** Admin only. */
  permissions?: string[]
  /**
   * Admin only: a `Date` or epoch ms (reads answer epoch ms), or `null` for never. On an
   * expired key, a future value extends it (expired → active).
   */
  expiresAt?: InstantInput | null
  /** Replaces the whole object; `null` clears it. */
  metadata?: Metadata | null
  /** Refuse the token as a bearer credential (a signing key only, else `validation`). */
  signatureOnly?: boolean
}

/** Organisation defaults, as `updateOrganisation` takes them. */
export interface OrganisationPatch {
  storageConfig?: ConfigId | null
  webhookConfig?: ConfigId | null
  config?: KeyConfigPatch | null
  /**
   * Admin only (`createOrganisation`, host level, may set it too): the rate limits of keys
   * whose own are `null`, as a key's; `null`: none.
   */
  rateLimits?: RateLimitInput[] | null
  /** Admin only, likewise: the allow-list of keys whose own is `null`; `null`: anywhere. */
  allowedIps?: string[] | null
}

/** Input of `createOrganisation`; `key` labels the first standard key. */
export interface CreateOrganisationInput extends OrganisationPatch {
  key?: { name?: string | null; description?: string | null }
}

/** Query of `listKeys`. Pages run newest first; `startingAfter` and `endingBefore` are key IDs. */
export interface ListKeysQuery {
  /** An organisation handle's own by default; admins must name it. */
  organisation?: string
  type?: KeyType
  /** Effective state at the clock's now. */
  state?: KeyState
  /** 1–100, default 10. */
  limit?: number
  startingAfter?: string
  endingBefore?: string
}

export type _Checks = [
  Assert<SameNames<keyof CreateKeyInput, WritableName<typeof KEY_FIELDS, 'create'>>>,
  Assert<SameNames<keyof KeyPatch, WritableName<typeof KEY_FIELDS, 'patch'>>>,
  Assert<SameNames<keyof OrganisationPatch, WritableName<typeof ORGANISATION_FIELDS, 'patch'>>>,
  Assert<
    SameNames<keyof CreateOrganisationInput, WritableName<typeof ORGANISATION_FIELDS, 'create'>>
  >,
  Assert<SameNames<keyof ListKeysQuery, WritableName<typeof LIST_QUERY, 'create'>>>,
]

/**
 * Throws `validation` unless `actor` is `{ kind: 'organisation', id: <organisation ID> }` or
 * `{ kind: 'admin', id: <1–255 characters> }` (stored as the writer, so held to what stores can
 * hold, as every string is). Returns a fresh, frozen copy.
 */
export function parseActor(actor: unknown): Actor {
  const record = readObject(actor, 'actor', ['kind', 'id'])
  const kind = readEnum(record.kind, 'actor.kind', ['organisation', 'admin'] as const)
  if (kind === 'organisation' && !isOrganisationId(record.id)) {
    throw invalidInput('actor.id', 'must be an organisation ID (org_ followed by a ULID)')
  }
  return Object.freeze({ kind, id: readString(record.id, 'actor.id', MAX_ACTOR_ID_LENGTH) })
}

// Path IDs are looked up, not validated: anything that is not the ID of a reachable resource
// is simply not found, so a malformed ID and an unknown one answer alike. Only a value that
// is not even a string is a programming error.
function requireId(value: unknown, field: string, what: string, valid: boolean): string {
  if (typeof value !== 'string') throw invalidInput(field, 'must be a string')
  if (!valid) throw new KeycycleError('not_found', `${what} not found`)
  return value
}

/** A key ID to look up: a non-string is `validation`; any other non-ID is `not_found`. */
export function requireKeyId(id: unknown, field = 'id'): string {
  return requireId(id, field, 'key', isKeyId(id))
}

/** An organisation ID to look up, as {@link requireKeyId}. */
export function requireOrganisationId(id: unknown, field = 'id'): string {
  return requireId(id, field, 'organisation', isOrganisationId(id))
}

export function parseSlot(slot: unknown, field = 'slot'): Slot {
  return readEnum(slot, field, SLOTS)
}

/**
 * The organisation a call acts in: the one named, else the organisation actor's own. An admin
 * must name one (`validation`); a name that is not an organisation ID is `not_found`.
 */
export function scopedOrganisation(named: unknown, actor: Actor): string {
  if (named === undefined) {
    if (actor.kind === 'organisation') return actor.id
    throw invalidInput('organisation', 'required when an admin acts')
  }
  return requireOrganisationId(named, 'organisation')
}

/** Validated rate limits: each with its `scope`. */
type ParsedUsage = { rateLimits?: RateLimit[] | null }

/** Validated `createKey` input: the organisation resolved, `expiresAt` as epoch ms. */
export type ParsedCreateKey = Omit<CreateKeyInput, 'organisation' | 'expiresAt' | 'rateLimits'> &
  ParsedUsage & {
    organisation: string
    expiresAt?: number | null
  }

/** A validated `updateKey` patch: as given, with `expiresAt` as epoch ms. */
export type ParsedKeyPatch = Omit<KeyPatch, 'expiresAt' | 'rateLimits'> &
  ParsedUsage & { expiresAt?: number | null }

/** Validated organisation input: as given, each rate limit with its `scope`. */
export type ParsedOrganisationInput = Omit<CreateOrganisationInput, 'rateLimits'> & ParsedUsage

/** Validates `createKey` input for `actor`; admin-only fields from an organisation are `forbidden`. */
export function parseCreateKeyInput(input: unknown, actor: Actor): ParsedCreateKey {
  const parsed = parseInput(KEY_FIELDS, input, 'create', actor) as ParsedCreateKey
  return { ...parsed, organisation: scopedOrganisation(parsed.organisation, actor) }
}

/** Validates an `updateKey` patch for `actor`. */
export function parseKeyPatch(patch: unknown, actor: Actor): ParsedKeyPatch {
  return parseInput(KEY_FIELDS, patch, 'patch', actor) as ParsedKeyPatch
}

/** Validates organisation defaults; `create` also admits the first key's labels. */
export function parseOrganisationInput(
  input: unknown,
  mode: 'create' | 'patch',
  actor: Actor | null,
): ParsedOrganisationInput {
  return parseInput(ORGANISATION_FIELDS, input ?? {}, mode, actor) as ParsedOrganisationInput
}

/** Reads the options object of a call against its schema (absent = `{}`). */
export function parseOptions<T>(schema: Schema, options: unknown, actor: Actor): T {
  return parseInput(schema, options ?? {}, 'create', actor) as T
}

/** Validated `rotateKey` options, defaults applied. */
export function parseRotateOptions(
  options: unknown,
  actor: Actor,
): { force: boolean; slot: Slot; signing?: boolean } {
  const parsed = parseOptions<{ force?: boolean; slot?: Slot; signing?: boolean }>(
    ROTATE_OPTIONS,
    options,
    actor,
  )
  return {
    force: parsed.force ?? false,
    slot: parsed.slot ?? 'primary',
    ...(parsed.signing === undefined ? {} : { signing: parsed.signing }),
  }
}

/** Validated `deactivateKey` options, defaults applied. */
export function parseDeactivateOptions(options: unknown, actor: Actor): { allowLockout: boolean } {
  const parsed = parseOptions<{ allowLockout?: boolean }>(DEACTIVATE_OPTIONS, options, actor)
  return { allowLockout: parsed.allowLockout ?? false }
}

/** Validated `listKeys` query for `actor`, defaults applied. */
export function parseListQuery(
  query: unknown,
  actor: Actor,
): ListKeysQuery & { organisation: string; limit: number } {
  const parsed = parseInput(LIST_QUERY, query ?? {}, 'create', actor) as ListKeysQuery
  if (parsed.startingAfter !== undefined && parsed.endingBefore !== undefined) {
    // Names one field only, so that every layer can spell it its own way (`ending_before`).
    throw invalidInput('endingBefore', 'cannot be combined with the other cursor')
  }
  return {
    ...parsed,
    organisation: scopedOrganisation(parsed.organisation, actor),
    limit: parsed.limit ?? DEFAULT_LIST_LIMIT,
  }
}
