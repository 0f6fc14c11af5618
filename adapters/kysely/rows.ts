import { importedHexOfRecord } from '../../src/core/imported'
import type {
  ConfigId,
  KeyRecord,
  KeyState,
  KeyType,
  Organisation,
  RateLimit,
  Slot,
  SlotRecord,
  StoredCredits,
} from '../../src/core/types'
import { type ImportedColumn, KEY_COLUMNS, type KeyRow, ORGANISATION_COLUMNS } from './schema'

/** A row as the driver returns it: each column of `T` as selected. */
export type Selected<T> = { [K in keyof T]: T[K] extends { __select__: infer S } ? S : T[K] }

/**
 * A row as an array of its values, in the order its statement selects them: better-sqlite3's
 * `raw()` rows as they come, any driver's object rows through `Object.values` (drivers keep the
 * select order, and a host's result plugin that renames columns keeps it too). Decoding reads
 * fixed positions: better-sqlite3 builds a 40-column object row in about as long as the select
 * itself takes, an array in almost no time.
 */
export type Values = readonly unknown[]

/** Each column's position in `columns`. */
const positions = <C extends string>(columns: readonly C[]) =>
  Object.fromEntries(columns.map((column, i) => [column, i])) as Record<C, number>
const K = positions(KEY_COLUMNS)
const O = positions(ORGANISATION_COLUMNS)
/** Where the organisation's columns start in the verification read's row (after the key's). */
export const ORGANISATION_AT = KEY_COLUMNS.length

type Int = number | string | bigint
const int = (value: unknown) => Number(value as Int)
const intOrNull = (value: unknown) => (value === null ? null : Number(value as Int))
const text = (value: unknown) => value as string
const textOrNull = (value: unknown) => value as string | null
const configIdOrNull = (json: unknown): ConfigId | null =>
  json === null ? null : JSON.parse(json as string)
const jsonOrNull = (value: ConfigId | null) => (value === null ? null : JSON.stringify(value))
// Usage control's fields, JSON text in columns that rows written before migration 0005 hold as
// NULL (read as null: no limits of its own, unlimited, any address).
const parsedOrNull = <T>(value: unknown): T | null =>
  value === null || value === undefined ? null : (JSON.parse(String(value)) as T)
const textOf = (value: object | null) => (value === null ? null : JSON.stringify(value))

/**
 * Reads an organisation from `row`, its columns at `at` in {@link ORGANISATION_COLUMNS} order;
 * integer columns arrive as whatever the driver returns.
 */
export function organisationFromValues(row: Values, at = 0): Organisation {
  return {
    id: text(row[at + O.id]),
    storageConfig: configIdOrNull(row[at + O.storage_config]),
    webhookConfig: configIdOrNull(row[at + O.webhook_config]),
    config: JSON.parse(text(row[at + O.config])),
    rateLimits: parsedOrNull<RateLimit[]>(row[at + O.rate_limits]),
    allowedIps: parsedOrNull<string[]>(row[at + O.allowed_ips]),
    createdAt: int(row[at + O.created_at]),
    modifiedAt: int(row[at + O.modified_at]),
    modifiedBy: text(row[at + O.modified_by]),
    version: int(row[at + O.version]),
  }
}

export function organisationToRow(organisation: Organisation) {
  return {
    id: organisation.id,
    storage_config: jsonOrNull(organisation.storageConfig),
    webhook_config: jsonOrNull(organisation.webhookConfig),
    config: JSON.stringify(organisation.config),
    created_at: organisation.createdAt,
    modified_at: organisation.modifiedAt,
    modified_by: organisation.modifiedBy,
    version: organisation.version,
    rate_limits: textOf(organisation.rateLimits),
    allowed_ips: textOf(organisation.allowedIps),
  }
}

/** A slot's column positions. */
const slotColumns = (slot: Slot) => ({
  digest: K[`${slot}_digest`],
  hint: K[`${slot}_hint`],
  rotatedAt: K[`${slot}_rotated_at`],
  lastUsedAt: K[`${slot}_last_used_at`],
  retiringDigest: K[`${slot}_retiring_digest`],
  retiringHint: K[`${slot}_retiring_hint`],
  retiringUntil: K[`${slot}_retiring_until`],
  retiringLastUsedAt: K[`${slot}_retiring_last_used_at`],
  sealed: K[`${slot}_sealed`],
  retiringSealed: K[`${slot}_retiring_sealed`],
})
const PRIMARY = slotColumns('primary')
const SECONDARY = slotColumns('secondary')

function slotFromValues(row: Values, at: ReturnType<typeof slotColumns>): SlotRecord | null {
  const digest = row[at.digest]
  if (digest === null || digest === undefined) return null
  const retiring = row[at.retiringDigest]
  const sealed = row[at.sealed]
  const retiringSealed = row[at.retiringSealed]
  return {
    digest: String(digest),
    hint: String(row[at.hint]),
    rotatedAt: Number(row[at.rotatedAt]),
    lastUsedAt: intOrNull(row[at.lastUsedAt] ?? null),
    retiring:
      retiring === null || retiring === undefined
        ? null
        : {
            digest: String(retiring),
            hint: String(row[at.retiringHint]),
            until: Number(row[at.retiringUntil]),
            lastUsedAt: intOrNull(row[at.retiringLastUsedAt] ?? null),
            ...(retiringSealed == null ? {} : { sealed: String(retiringSealed) }),
          },
    ...(sealed == null ? {} : { sealed: String(sealed) }),
  }
}

function slotToRow(slot: SlotRecord | null, name: Slot): Record<string, string | number | null> {
  return {
    [`${name}_digest`]: slot?.digest ?? null,
    [`${name}_hint`]: slot?.hint ?? null,
    [`${name}_rotated_at`]: slot?.rotatedAt ?? null,
    [`${name}_retiring_digest`]: slot?.retiring?.digest ?? null,
    [`${name}_retiring_hint`]: slot?.retiring?.hint ?? null,
    [`${name}_retiring_until`]: slot?.retiring?.until ?? null,
    [`${name}_last_used_at`]: slot?.lastUsedAt ?? null,
    [`${name}_retiring_last_used_at`]: slot?.retiring?.lastUsedAt ?? null,
    [`${name}_sealed`]: slot?.sealed ?? null,
    [`${name}_retiring_sealed`]: slot?.retiring?.sealed ?? null,
  }
}

/** Reads a key from `row`, its columns first, in {@link KEY_COLUMNS} order. */
export function keyFromValues(row: Values): KeyRecord {
  const metadata = row[K.metadata]
  return {
    id: text(row[K.id]),
    organisation: text(row[K.organisation]),
    type: row[K.type] as KeyType,
    state: row[K.state] as KeyState,
    name: textOrNull(row[K.name]),
    description: textOrNull(row[K.description]),
    config: JSON.parse(text(row[K.config])),
    storageConfig: configIdOrNull(row[K.storage_config]),
    webhookConfig: configIdOrNull(row[K.webhook_config]),
    permissions: JSON.parse(text(row[K.permissions])),
    metadata: metadata === null ? null : JSON.parse(text(metadata)),
    createdAt: int(row[K.created_at]),
    modifiedAt: int(row[K.modified_at]),
    modifiedBy: text(row[K.modified_by]),
    expiresAt: intOrNull(row[K.expires_at]),
    primary: slotFromValues(row, PRIMARY)!,
    secondary: slotFromValues(row, SECONDARY),
    rateLimits: parsedOrNull<RateLimit[]>(row[K.rate_limits]),
    credits: parsedOrNull<StoredCredits>(row[K.credits]),
    allowedIps: parsedOrNull<string[]>(row[K.allowed_ips]),
    signing: row[K.signing] === 'on' || row[K.signing] === 'only',
    signatureOnly: row[K.signing] === 'only',
    version: int(row[K.version]),
  }
}

/**
 * Reads the verification read's one column: a JSON array of the key's columns, then its
 * organisation's from {@link ORGANISATION_AT}. It arrives as text (PostgreSQL, MariaDB,
 * SQLite), or already parsed (MySQL's JSON type through mysql2), or as bytes (a driver told to
 * return binary strings), whose UTF-8 text `String` gives.
 */
export function keyWithOrganisationFromJson(json: unknown): {
  key: KeyRecord
  organisation: Organisation
} {
  const row: Values = Array.isArray(json) ? json : JSON.parse(String(json))
  return { key: keyFromValues(row), organisation: organisationFromValues(row, ORGANISATION_AT) }
}

/**
 * A key and its organisation as the verification read's row: every key column, then every
 * organisation column, each in table order (the inverse of {@link keyWithOrganisationFromJson}).
 */
export function keyWithOrganisationToValues(found: {
  key: KeyRecord
  organisation: Organisation
}): Values {
  const key = keyToRow(found.key) as unknown as Record<string, unknown>
  const organisation = organisationToRow(found.organisation) as Record<string, unknown>
  return [
    ...KEY_COLUMNS.map((column) => key[column]),
    ...ORGANISATION_COLUMNS.map((column) => organisation[column]),
  ]
}

export function keyToRow(key: KeyRecord): KeyRowValues & ImportedColumn {
  return {
    id: key.id,
    organisation: key.organisation,
    type: key.type,
    state: key.state,
    name: key.name,
    description: key.description,
    config: JSON.stringify(key.config),
    storage_config: jsonOrNull(key.storageConfig),
    webhook_config: jsonOrNull(key.webhookConfig),
    permissions: JSON.stringify(key.permissions),
    metadata: key.metadata === null ? null : JSON.stringify(key.metadata),
    created_at: key.createdAt,
    modified_at: key.modifiedAt,
    modified_by: key.modifiedBy,
    expires_at: key.expiresAt,
    ...slotToRow(key.primary, 'primary'),
    ...slotToRow(key.secondary, 'secondary'),
    version: key.version,
    rate_limits: textOf(key.rateLimits),
    credits: textOf(key.credits),
    allowed_ips: textOf(key.allowedIps),
    signing: key.signatureOnly ? 'only' : key.signing ? 'on' : null,
    imported_digest: importedHexOfRecord(key),
  } as KeyRowValues & ImportedColumn
}

/** A key row as written: every column, integers as numbers. */
export type KeyRowValues = {
  [C in keyof KeyRow]: KeyRow[C] extends { __insert__: infer I } ? I : KeyRow[C]
}
