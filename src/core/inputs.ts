import type { KeyConfigPatch } from './config'
import { invalidInput, KeycycleError } from './errors'
import { isKeyId, isOrganisationId } from './ids'
import type { Actor, ConfigId, KeyConfig, KeyState, KeyType, Slot } from './types'
import { KEY_STATES, KEY_TYPES, SLOTS } from './types'
import {
  MAX_DESCRIPTION_LENGTH,
  MAX_NAME_LENGTH,
  readBoolean,
  readEnum,
  readEpochMs,
  readInteger,
  readObject,
  readOptionalConfigId,
  readPermissions,
  readString,
  readText,
} from './validate'

/** Labels and config overrides shared by key creation and key updates. */
export interface KeyFields {
  name?: string | null
  description?: string | null
  storageConfig?: ConfigId | null
  webhookConfig?: ConfigId | null
  /** Admin only. */
  permissions?: string[]
  /** Admin only; epoch ms. On an expired key, a future value extends it (expired → active). */
  expiresAt?: number | null
}

/** Input of `createKey`. `type`, `permissions` and `expiresAt` are admin only. */
export interface CreateKeyInput extends KeyFields {
  /** The owning organisation: an organisation handle's own by default; admins must name it. */
  organisation?: string
  /** Admin only; default `standard`. A trial key without `expiresAt` gets the trial length. */
  type?: KeyType
  config?: KeyConfig
}

/** Input of `updateKey`: absent leaves a field alone, `null` reverts to the organisation default. */
export interface KeyPatch extends KeyFields {
  config?: KeyConfigPatch | null
}

/** Organisation defaults, as given to `createOrganisation` and `updateOrganisation`. */
export interface OrganisationPatch {
  storageConfig?: ConfigId | null
  webhookConfig?: ConfigId | null
  config?: KeyConfigPatch | null
}

/** Input of `createOrganisation`; `key` labels the first standard key. */
export interface CreateOrganisationInput extends OrganisationPatch {
  key?: { name?: string | null; description?: string | null }
}

const ADMIN_FIELDS = ['type', 'permissions', 'expiresAt'] as const
const KEY_FIELDS = ['name', 'description', 'storageConfig', 'webhookConfig', 'config']

/**
 * Throws `validation` unless `actor` is `{ kind: 'organisation', id: <organisation ID> }` or
 * `{ kind: 'admin', id: <1–255 characters> }`. Returns a fresh, frozen copy.
 */
export function parseActor(actor: unknown): Actor {
  const record = readObject(actor, 'actor', ['kind', 'id'])
  const kind = readEnum(record.kind, 'actor.kind', ['organisation', 'admin'] as const)
  const id =
    kind === 'organisation'
      ? parseOrganisationId(record.id, 'actor.id')
      : readString(record.id, 'actor.id', 255)
  return Object.freeze({ kind, id })
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

export function parseKeyId(id: unknown, field = 'id'): string {
  if (!isKeyId(id)) throw invalidInput(field, 'must be a key ID (key_ followed by a ULID)')
  return id
}

export function parseOrganisationId(id: unknown, field = 'organisation'): string {
  if (!isOrganisationId(id)) throw invalidInput(field, 'must be an organisation ID (org_…)')
  return id
}

export function parseSlot(slot: unknown, field = 'slot'): Slot {
  return readEnum(slot, field, SLOTS)
}

function parseConfigPatch(value: unknown, field: string): KeyConfigPatch | null {
  if (value === null) return null
  const record = readObject(value, field, ['publishSourceFiles'])
  const patch: KeyConfigPatch = {}
  const publish = record.publishSourceFiles
  if (publish !== undefined) {
    patch.publishSourceFiles =
      publish === null ? null : readBoolean(publish, `${field}.publishSourceFiles`)
  }
  return patch
}

/** Parses a config given whole (creation): nulls mean "not set". */
export function parseConfig(value: unknown, field: string): KeyConfig {
  const patch = parseConfigPatch(value, field) ?? {}
  return patch.publishSourceFiles == null ? {} : { publishSourceFiles: patch.publishSourceFiles }
}

function parseKeyFields(record: Record<string, unknown>, actor: Actor): KeyFields {
  if (actor.kind !== 'admin') {
    const field = ADMIN_FIELDS.find((name) => record[name] !== undefined)
    if (field !== undefined) {
      throw new KeycycleError('forbidden', `${field}: only an admin may set this field`, {
        details: { field, actor: actor.kind },
      })
    }
  }
  const out: KeyFields = {}
  if (record.name !== undefined) out.name = readText(record.name, 'name', MAX_NAME_LENGTH)
  if (record.description !== undefined) {
    out.description = readText(record.description, 'description', MAX_DESCRIPTION_LENGTH)
  }
  for (const field of ['storageConfig', 'webhookConfig'] as const) {
    if (record[field] !== undefined) out[field] = readOptionalConfigId(record[field], field)
  }
  if (record.permissions !== undefined) {
    out.permissions = readPermissions(record.permissions, 'permissions')
  }
  if (record.expiresAt !== undefined) {
    out.expiresAt = record.expiresAt === null ? null : readEpochMs(record.expiresAt, 'expiresAt')
  }
  return out
}

/** Validates `createKey` input for `actor`; admin-only fields from an organisation are `forbidden`. */
export function parseCreateKeyInput(
  input: unknown,
  actor: Actor,
): CreateKeyInput & { organisation: string } {
  const record = readObject(input, 'input', ['organisation', ...KEY_FIELDS, ...ADMIN_FIELDS])
  const out: CreateKeyInput & { organisation: string } = {
    organisation: scopedOrganisation(record.organisation, actor),
    ...parseKeyFields(record, actor),
  }
  if (record.type !== undefined) out.type = readEnum(record.type, 'type', KEY_TYPES)
  if (record.config !== undefined) out.config = parseConfig(record.config, 'config')
  return out
}

/** Validates an `updateKey` patch for `actor`. */
export function parseKeyPatch(patch: unknown, actor: Actor): KeyPatch {
  const record = readObject(patch, 'input', [...KEY_FIELDS, 'permissions', 'expiresAt'])
  const out: KeyPatch = parseKeyFields(record, actor)
  if (record.config !== undefined) out.config = parseConfigPatch(record.config, 'config')
  return out
}

/** Validates organisation defaults; `allowKey` admits the first key's labels (creation only). */
export function parseOrganisationInput(input: unknown, allowKey: boolean): CreateOrganisationInput {
  const fields = ['storageConfig', 'webhookConfig', 'config', ...(allowKey ? ['key'] : [])]
  const record = readObject(input ?? {}, 'input', fields)
  const out: CreateOrganisationInput = {}
  for (const field of ['storageConfig', 'webhookConfig'] as const) {
    if (record[field] !== undefined) out[field] = readOptionalConfigId(record[field], field)
  }
  if (record.config !== undefined) out.config = parseConfigPatch(record.config, 'config')
  if (record.key !== undefined) {
    const key = readObject(record.key, 'key', ['name', 'description'])
    out.key = {}
    if (key.name !== undefined) out.key.name = readText(key.name, 'key.name', MAX_NAME_LENGTH)
    if (key.description !== undefined) {
      out.key.description = readText(key.description, 'key.description', MAX_DESCRIPTION_LENGTH)
    }
  }
  return out
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

/** Default page size of `listKeys`. */
export const DEFAULT_LIST_LIMIT = 10
/** Largest page size of `listKeys`. */
export const MAX_LIST_LIMIT = 100

export function parseListQuery(
  query: unknown,
  actor: Actor,
): ListKeysQuery & { organisation: string; limit: number } {
  const record = readObject(query, 'query', [
    'organisation',
    'type',
    'state',
    'limit',
    'startingAfter',
    'endingBefore',
  ])
  const out: ListKeysQuery & { organisation: string; limit: number } = {
    organisation: scopedOrganisation(record.organisation, actor),
    limit:
      record.limit === undefined
        ? DEFAULT_LIST_LIMIT
        : readInteger(record.limit, 'limit', 1, MAX_LIST_LIMIT),
  }
  if (record.type !== undefined) out.type = readEnum(record.type, 'type', KEY_TYPES)
  if (record.state !== undefined) out.state = readEnum(record.state, 'state', KEY_STATES)
  if (record.startingAfter !== undefined && record.endingBefore !== undefined) {
    throw invalidInput('endingBefore', 'cannot be combined with startingAfter')
  }
  if (record.startingAfter !== undefined) {
    out.startingAfter = parseKeyId(record.startingAfter, 'startingAfter')
  }
  if (record.endingBefore !== undefined) {
    out.endingBefore = parseKeyId(record.endingBefore, 'endingBefore')
  }
  return out
}
