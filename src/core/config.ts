import type {
  ConfigId,
  EffectiveConfig,
  EffectiveValue,
  KeyConfig,
  KeyRecord,
  Organisation,
  RateLimit,
} from './types'

/**
 * What a key uses when neither it nor its organisation sets a value: no storage or webhook
 * config, source files unpublished, no rate limits, any address.
 */
export const LIBRARY_DEFAULTS: {
  readonly [F in keyof EffectiveConfig]: EffectiveConfig[F]['value']
} = Object.freeze({
  storageConfig: null,
  webhookConfig: null,
  publishSourceFiles: false,
  rateLimits: Object.freeze([]) as unknown as RateLimit[],
  allowedIps: null,
})

/** The fields `effectiveConfig` reads. */
type Settings = 'storageConfig' | 'webhookConfig' | 'config' | 'rateLimits' | 'allowedIps'

function pick<T>(
  keyValue: T | null | undefined,
  orgValue: T | null | undefined,
  fallback: T,
): EffectiveValue<T> {
  if (keyValue !== null && keyValue !== undefined) return { value: keyValue, source: 'key' }
  if (orgValue !== null && orgValue !== undefined)
    return { value: orgValue, source: 'organisation' }
  return { value: fallback, source: 'default' }
}

/**
 * Override resolution (see `docs/decisions.md#configuration-overrides`): the key's value if set, else the organisation default, else
 * the library default, each with its source. Reads the organisation at call time, so changing
 * an organisation default changes every non-overriding key without writing to it.
 */
export function effectiveConfig(
  key: Pick<KeyRecord, Settings>,
  organisation: Pick<Organisation, Settings>,
): EffectiveConfig {
  return {
    storageConfig: pick<ConfigId | null>(
      key.storageConfig,
      organisation.storageConfig,
      LIBRARY_DEFAULTS.storageConfig,
    ),
    webhookConfig: pick<ConfigId | null>(
      key.webhookConfig,
      organisation.webhookConfig,
      LIBRARY_DEFAULTS.webhookConfig,
    ),
    publishSourceFiles: pick(
      key.config.publishSourceFiles,
      organisation.config.publishSourceFiles,
      LIBRARY_DEFAULTS.publishSourceFiles,
    ),
    rateLimits: pick(key.rateLimits, organisation.rateLimits, LIBRARY_DEFAULTS.rateLimits),
    allowedIps: pick(key.allowedIps, organisation.allowedIps, LIBRARY_DEFAULTS.allowedIps),
  }
}

/** A config patch: absent leaves a field alone, `null` removes the override. */
export type KeyConfigPatch = { [F in keyof KeyConfig]?: KeyConfig[F] | null }

/** Merges a config patch field by field; `null` deletes the field so the default shows through. */
export function mergeConfig(current: KeyConfig, patch: KeyConfigPatch | null): KeyConfig {
  if (patch === null) return {}
  const next: KeyConfig = { ...current }
  if (patch.publishSourceFiles === null) delete next.publishSourceFiles
  else if (patch.publishSourceFiles !== undefined)
    next.publishSourceFiles = patch.publishSourceFiles
  return next
}
