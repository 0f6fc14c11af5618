import type {
  ConfigId,
  KeyRecord,
  KeyState,
  KeyType,
  Organisation,
  Slot,
  SlotRecord,
} from '../../src/core/types'
import type { KeyRow, OrganisationRow } from './schema'

/** A row as the driver returns it: each column of `T` as selected. */
export type Selected<T> = { [K in keyof T]: T[K] extends { __select__: infer S } ? S : T[K] }

/** The verification read's row: the key's columns, then its organisation's as `o_<column>`. */
export type KeyWithOrganisationRow = Selected<KeyRow> & {
  [C in Exclude<keyof OrganisationRow, 'id'> as `o_${C}`]: Selected<OrganisationRow>[C]
}

const int = (value: number | string | bigint) => Number(value)
const intOrNull = (value: number | string | bigint | null) =>
  value === null ? null : Number(value)
const configIdOrNull = (json: string | null): ConfigId | null =>
  json === null ? null : JSON.parse(json)
const jsonOrNull = (value: ConfigId | null) => (value === null ? null : JSON.stringify(value))

/** Reads an organisation row; integer columns arrive as whatever the driver returns. */
export function organisationFromRow(row: Selected<OrganisationRow>): Organisation {
  return {
    id: row.id,
    storageConfig: configIdOrNull(row.storage_config),
    webhookConfig: configIdOrNull(row.webhook_config),
    config: JSON.parse(row.config),
    createdAt: int(row.created_at),
    modifiedAt: int(row.modified_at),
    modifiedBy: row.modified_by,
    version: int(row.version),
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
  }
}

type Column = string | number | bigint | null

function slotFromRow(row: Record<string, Column>, slot: Slot): SlotRecord | null {
  const digest = row[`${slot}_digest`]
  if (digest === null || digest === undefined) return null
  const retiring = row[`${slot}_retiring_digest`]
  return {
    digest: String(digest),
    hint: String(row[`${slot}_hint`]),
    rotatedAt: Number(row[`${slot}_rotated_at`]),
    lastUsedAt: intOrNull(row[`${slot}_last_used_at`] ?? null),
    retiring:
      retiring === null || retiring === undefined
        ? null
        : {
            digest: String(retiring),
            hint: String(row[`${slot}_retiring_hint`]),
            until: Number(row[`${slot}_retiring_until`]),
            lastUsedAt: intOrNull(row[`${slot}_retiring_last_used_at`] ?? null),
          },
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
  }
}

export function keyFromRow(row: Selected<KeyRow>): KeyRecord {
  return {
    id: row.id,
    organisation: row.organisation,
    type: row.type as KeyType,
    state: row.state as KeyState,
    name: row.name,
    description: row.description,
    config: JSON.parse(row.config),
    storageConfig: configIdOrNull(row.storage_config),
    webhookConfig: configIdOrNull(row.webhook_config),
    permissions: JSON.parse(row.permissions),
    metadata: row.metadata === null ? null : JSON.parse(row.metadata),
    createdAt: int(row.created_at),
    modifiedAt: int(row.modified_at),
    modifiedBy: row.modified_by,
    expiresAt: intOrNull(row.expires_at),
    primary: slotFromRow(row as unknown as Record<string, Column>, 'primary')!,
    secondary: slotFromRow(row as unknown as Record<string, Column>, 'secondary'),
    version: int(row.version),
  }
}

/** Reads the verification read's row: the key, and its organisation from the `o_*` columns. */
export function keyWithOrganisationFromRow(row: KeyWithOrganisationRow): {
  key: KeyRecord
  organisation: Organisation
} {
  const organisation = organisationFromRow({
    id: row.organisation,
    storage_config: row.o_storage_config,
    webhook_config: row.o_webhook_config,
    config: row.o_config,
    created_at: row.o_created_at,
    modified_at: row.o_modified_at,
    modified_by: row.o_modified_by,
    version: row.o_version,
  })
  return { key: keyFromRow(row), organisation }
}

export function keyToRow(key: KeyRecord): KeyRowValues {
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
  } as KeyRowValues
}

/** A key row as written: every column, integers as numbers. */
export type KeyRowValues = {
  [C in keyof KeyRow]: KeyRow[C] extends { __insert__: infer I } ? I : KeyRow[C]
}
