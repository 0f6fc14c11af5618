import type { KeyUsage } from '../core/key-usage'
import {
  CONFIG_FIELDS,
  type Field,
  KEY_FIELDS,
  ORGANISATION_FIELDS,
  toWire,
  USAGE_QUERY,
  valueToWire,
} from '../core/schema'
import type { EffectiveConfig, Key, Organisation, Slot } from '../core/types'
import type { KeyPage } from '../service/key-queries'

/** A key in the ricloud format (`resource: "key"`); `token` only on the calls that mint one. */
export function presentKey(key: Key, token?: string) {
  const { id, ...rest } = toWire(KEY_FIELDS, key)
  return { id, resource: 'key', ...rest, ...(token === undefined ? {} : { token }) }
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

/** An organisation and its defaults (`resource: "organisation"`). */
export function presentOrganisation(organisation: Organisation) {
  const { id, ...rest } = toWire(ORGANISATION_FIELDS, organisation)
  return { id, resource: 'organisation', ...rest }
}

// Effective values are named and written like the fields they resolve (`storage_config`,
// `publish_source_files`, `rate_limits` with `window_ms`), each `{ value, source }`.
const EFFECTIVE_NAMES: Readonly<Record<string, Field>> = { ...KEY_FIELDS, ...CONFIG_FIELDS }

/** A key's effective configuration, each value with its source. */
export function presentEffectiveConfig(keyId: string, effective: EffectiveConfig) {
  const out: Record<string, unknown> = { resource: 'effective_config', key: keyId }
  for (const [name, { value, source }] of Object.entries(effective)) {
    const field = EFFECTIVE_NAMES[name]!
    out[field.wire] = { value: valueToWire(field, value), source }
  }
  return out
}

const iso = (ms: number) => USAGE_QUERY.from.toWire(ms) as string

/**
 * A key's usage analytics (`resource: "key_usage"`): instants as ISO 8601, counts by outcome
 * under the refusal codes' own names.
 */
export function presentKeyUsage(usage: KeyUsage) {
  return {
    resource: 'key_usage',
    key: usage.keyId,
    granularity: usage.granularity,
    from: iso(usage.from),
    to: iso(usage.to),
    buckets: usage.buckets.map((bucket) => ({ start: iso(bucket.start), counts: bucket.counts })),
    totals: usage.totals,
  }
}

// NCP shows labels as strings (absent: empty) and times without milliseconds.
function ncpValue(value: unknown, name: string): unknown {
  if (value === null) return ''
  if (name === 'modifiedAt')
    return new Date(value as number).toISOString().replace(/\.\d{3}Z$/, 'Z')
  return value
}

/**
 * The NCP `regenerate API key` response: the fields NCP names (from the schema's `ncp` names),
 * the regenerated slot's value in full and the other masked. An absent secondary slot is null.
 */
export function presentNcpApiKey(key: Key, regenerated: Slot, token: string, domainCode: string) {
  const apiKey: Record<string, unknown> = {}
  for (const [name, field] of Object.entries(KEY_FIELDS)) {
    if ('ncp' in field) apiKey[field.ncp] = ncpValue(key[name as keyof Key], name)
  }
  const value = (slot: Slot) => (slot === regenerated ? token : (key[slot]?.hint ?? null))
  const { apiKeyId, tenantId, apiKeyName, apiKeyDescription, modifier, modTime } = apiKey
  // NCP's documented order.
  return {
    apiKey: {
      apiKeyId,
      tenantId,
      apiKeyName,
      apiKeyDescription,
      primaryKey: value('primary'),
      secondaryKey: value('secondary'),
      modifier,
      isEnabled: key.state === 'active',
      modTime,
      domainCode,
    },
  }
}
