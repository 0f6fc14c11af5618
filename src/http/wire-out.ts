import type { EffectiveConfig, Key, Organisation, Slot, TokenSlot } from '../core/types'
import type { KeyPage } from '../service/key-queries'

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

function slot(value: TokenSlot | null) {
  return (
    value && {
      hint: value.hint,
      date_rotated: iso(value.rotatedAt),
      date_retiring_until: iso(value.retiringUntil),
    }
  )
}

function config(value: Key['config']) {
  return value.publishSourceFiles === undefined
    ? {}
    : { publish_source_files: value.publishSourceFiles }
}

/** A key in the ricloud format; `token` only on the calls that mint one. */
export function presentKey(key: Key, token?: string) {
  return {
    id: key.id,
    resource: 'key',
    organisation: key.organisation,
    type: key.type,
    state: key.state,
    name: key.name,
    description: key.description,
    config: config(key.config),
    storage_config: key.storageConfig,
    webhook_config: key.webhookConfig,
    permissions: key.permissions,
    date_created: iso(key.createdAt),
    date_modified: iso(key.modifiedAt),
    modified_by: key.modifiedBy,
    date_expires: iso(key.expiresAt),
    primary: slot(key.primary),
    secondary: slot(key.secondary),
    version: key.version,
    ...(token === undefined ? {} : { token }),
  }
}

/** A page of keys as a ricloud list object. */
export function presentList(page: KeyPage, url: string) {
  return {
    resource: 'list',
    data: page.data.map((key) => presentKey(key)),
    has_more: page.hasMore,
    url,
  }
}

export function presentOrganisation(organisation: Organisation) {
  return {
    id: organisation.id,
    resource: 'organisation',
    storage_config: organisation.storageConfig,
    webhook_config: organisation.webhookConfig,
    config: config(organisation.config),
    date_created: iso(organisation.createdAt),
    date_modified: iso(organisation.modifiedAt),
    version: organisation.version,
  }
}

export function presentEffectiveConfig(keyId: string, effective: EffectiveConfig) {
  return {
    resource: 'effective_config',
    key: keyId,
    storage_config: effective.storageConfig,
    webhook_config: effective.webhookConfig,
    publish_source_files: effective.publishSourceFiles,
  }
}

/**
 * The NCP `regenerate API key` response: the regenerated slot's value in full, the other
 * masked. Absent labels are empty strings (NCP types them as strings); an absent secondary
 * slot is null.
 */
export function presentNcpApiKey(key: Key, regenerated: Slot, token: string, domainCode: string) {
  const value = (name: Slot) => (name === regenerated ? token : (key[name]?.hint ?? null))
  return {
    apiKey: {
      apiKeyId: key.id,
      tenantId: key.organisation,
      apiKeyName: key.name ?? '',
      apiKeyDescription: key.description ?? '',
      primaryKey: value('primary'),
      secondaryKey: value('secondary'),
      modifier: key.modifiedBy,
      isEnabled: key.state === 'active',
      modTime: new Date(key.modifiedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      domainCode,
    },
  }
}
