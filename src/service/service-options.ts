import { readPeppers } from '../core/digest'
import { invalidInput } from '../core/errors'
import { DEFAULT_TRIAL_DURATION_MS } from '../core/keys'
import { DEFAULT_GRACE_PERIOD_MS } from '../core/rotation'
import { DEFAULT_EXPIRING_LEAD_MS } from '../core/schedule'
import type { Field, Schema } from '../core/schema'
import { parseInput } from '../core/schema'
import { readSecretEncryption, type SecretEncryptionKey } from '../core/sealed-secret'
import { assertTokenPrefix } from '../core/token'
import { readBoolean, readInteger } from '../core/validate'
import type { KeyStore } from '../store'
import { DEFAULT_STORE_TIMEOUT_MS, MAX_TIMER_MS } from '../store/deadline'
import { assertStore } from './guarded-store'
import { consoleLogger, type Logger, readLogger } from './logger'
import type { DispatchOptions, KeycycleOptions } from './options'
import type { TelemetrySetting } from './telemetry/telemetry'
import type { CacheOptions } from './verify/cache'

// The options of `createKeycycle`, declared once as a schema (as the key fields are): each one's
// validation, and the defaults below. Durations are ms; a duration a timer waits for is at
// most what Node's timers hold.

const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => ({
  type: `integer (${min}–${max})`,
  create: true,
  parse: (value: unknown, path: string) => readInteger(value, path, min, max),
})

const method = (name: string) => ({
  type: `object with ${name}()`,
  create: true,
  parse: (value: unknown, path: string) => {
    if (typeof (value as Record<string, unknown> | null)?.[name] !== 'function') {
      throw invalidInput(path, `must be an object with a ${name}() method`)
    }
    return value
  },
})

const callback = {
  type: 'function',
  create: true,
  parse: (value: unknown, path: string) => {
    if (typeof value !== 'function') throw invalidInput(path, 'must be a function')
    return value
  },
}

// `wire` is the option's own name: options never travel, but the schema's shape is shared.
const field = (name: string, doc: string, rest: Omit<Field, 'wire' | 'doc'>): Field => ({
  wire: name,
  doc,
  ...rest,
})

const DISPATCH_FIELDS: Schema = {
  pollMs: field('pollMs', 'How often the outbox is polled.', integer(1, MAX_TIMER_MS)),
  leaseMs: field('leaseMs', 'How long a claim lasts.', integer(1, MAX_TIMER_MS)),
  deliveryTimeoutMs: field(
    'deliveryTimeoutMs',
    'A delivery still pending after this has failed.',
    integer(1, MAX_TIMER_MS),
  ),
  retryBaseMs: field('retryBaseMs', 'The first retry delay.', integer(1, MAX_TIMER_MS)),
  retryMaxMs: field('retryMaxMs', 'The longest retry delay.', integer(1, MAX_TIMER_MS)),
  maxAttempts: field('maxAttempts', 'Attempts before an event is given up.', integer(1)),
  concurrency: field('concurrency', 'Deliveries in flight at once.', integer(1)),
  retentionMs: field('retentionMs', 'How long delivered events are kept.', integer(1)),
}

const USAGE_FIELDS: Schema = {
  mode: field('mode', 'exact (default) or leased.', {
    type: '`exact` | `leased`',
    create: true,
    parse: (value: unknown, path: string) => {
      if (value !== 'exact' && value !== 'leased') {
        throw invalidInput(path, 'must be one of exact, leased')
      }
      return value
    },
  }),
  leaseUnits: field('leaseUnits', 'Units a lease takes.', integer(1, 1_000_000)),
  leaseTtlMs: field('leaseTtlMs', 'How long a lease is kept.', integer(1, MAX_TIMER_MS)),
}

const HOUR_MS = 3_600_000
// Default retention of usage analytics: 90 days.
const DEFAULT_ANALYTICS_RETENTION_MS = 90 * 24 * HOUR_MS

const ANALYTICS_FIELDS: Schema = {
  enabled: field('enabled', 'Whether verifications are counted.', {
    type: 'boolean',
    create: true,
    parse: (value: unknown, path: string) => readBoolean(value, path),
  }),
  retentionMs: field('retentionMs', 'How long hourly counts are kept.', integer(HOUR_MS)),
}

const CACHE_FIELDS: Schema = {
  maxStalenessMs: field('maxStalenessMs', 'The revocation bound elsewhere.', integer(0)),
  maxEntries: field('maxEntries', 'Most keys held.', integer(1)),
}

/** The options of `createKeycycle` (see {@link KeycycleOptions} for what each one does). */
export const SERVICE_OPTIONS: Schema = {
  store: field('store', 'Where keys live.', {
    type: 'KeyStore',
    create: true,
    parse: (value: unknown) => {
      assertStore(value)
      return value
    },
  }),
  clock: field('clock', 'Where time comes from.', method('now')),
  random: field('random', 'Where randomness comes from.', method('bytes')),
  tokenPrefix: field('tokenPrefix', 'Token prefix.', {
    type: 'string',
    create: true,
    parse: (value: unknown) => {
      assertTokenPrefix(value)
      return value
    },
  }),
  pepper: field('pepper', 'Server-side secret(s) keying the digests.', {
    type: 'string | bytes | { id, secret }[]',
    create: true,
    parse: (value: unknown) => {
      readPeppers(value as KeycycleOptions['pepper'])
      return value
    },
  }),
  secretEncryption: field('secretEncryption', "The keys signing keys' tokens are sealed under.", {
    type: '{ keys: { id, key }[] }',
    create: true,
    parse: (value: unknown) => {
      readSecretEncryption(value)
      return value
    },
  }),
  allowReveal: field('allowReveal', "Whether admins may read signing keys' tokens back.", {
    type: 'boolean',
    create: true,
    parse: (value: unknown, path: string) => readBoolean(value, path),
  }),
  lastUsedFlushMs: field('lastUsedFlushMs', 'Last-used write interval.', integer(0, MAX_TIMER_MS)),
  maxKeysPerOrganisation: field(
    'maxKeysPerOrganisation',
    'Most keys per organisation.',
    integer(1),
  ),
  gracePeriodMs: field('gracePeriodMs', 'Grace period of a rotation.', integer(0)),
  trialDurationMs: field('trialDurationMs', 'Lifetime of a trial key.', integer(0)),
  maxAttempts: field('maxAttempts', 'Compare-and-set attempts.', integer(1)),
  cache: field('cache', 'The verification cache.', {
    type: 'object',
    create: true,
    fields: CACHE_FIELDS,
  }),
  storeTimeoutMs: field(
    'storeTimeoutMs',
    'Deadline of every store call.',
    integer(0, MAX_TIMER_MS),
  ),
  expiringLeadMs: field('expiringLeadMs', 'Lead time of key.expiring.', integer(0)),
  onEvent: field('onEvent', 'Receives every event.', callback),
  onEventError: field('onEventError', 'Receives given-up events.', callback),
  logger: field('logger', 'Where faults and deliveries are logged.', {
    type: 'object with error(), warn(), info(), debug()',
    create: true,
    parse: (value: unknown, path: string) => readLogger(value, path),
  }),
  telemetry: field('telemetry', 'OpenTelemetry spans and metrics.', {
    type: 'boolean | { tracerProvider?, meterProvider? }',
    create: true,
    parse: (value: unknown, path: string) => {
      if (typeof value === 'boolean') return value
      const given = (typeof value === 'object' && value !== null ? value : null) as Record<
        string,
        unknown
      > | null
      if (given === null) throw invalidInput(path, 'must be a boolean or an object')
      for (const [name, expected] of Object.entries(given)) {
        const method = { tracerProvider: 'getTracer', meterProvider: 'getMeter' }[name]
        if (method === undefined) throw invalidInput(`${path}.${name}`, 'unknown option')
        if (typeof (expected as Record<string, unknown> | null)?.[method] !== 'function') {
          throw invalidInput(`${path}.${name}`, `must be an object with a ${method}() method`)
        }
      }
      return value
    },
  }),
  recordEvents: field('recordEvents', 'Whether writes record events.', {
    type: 'boolean',
    create: true,
    parse: (value: unknown, path: string) => readBoolean(value, path),
  }),
  importedTokens: field('importedTokens', 'Whether verify looks up imported tokens.', {
    type: 'boolean',
    create: true,
    parse: (value: unknown, path: string) => readBoolean(value, path),
  }),
  usage: field('usage', 'How rate limits and credits are spent.', {
    type: 'object',
    create: true,
    fields: USAGE_FIELDS,
  }),
  analytics: field('analytics', 'Usage analytics per key.', {
    type: 'object',
    create: true,
    fields: ANALYTICS_FIELDS,
  }),
  dispatch: field('dispatch', 'The outbox dispatcher.', {
    type: 'object',
    create: true,
    fields: DISPATCH_FIELDS,
  }),
}

/** {@link DispatchOptions} with every default filled in. */
export type DispatchSettings = Required<DispatchOptions>

/** The options with every default filled in. */
export interface ServiceSettings {
  store: KeyStore
  clock: NonNullable<KeycycleOptions['clock']>
  random: NonNullable<KeycycleOptions['random']>
  tokenPrefix: string
  pepper: KeycycleOptions['pepper']
  /** The key-encryption keys, validated and copied (none: signing keys are refused). */
  secretEncryption: SecretEncryptionKey[]
  allowReveal: boolean
  lastUsedFlushMs: number
  maxKeysPerOrganisation: number | undefined
  gracePeriodMs: number
  trialDurationMs: number
  maxAttempts: number
  cache: CacheOptions | undefined
  storeTimeoutMs: number
  expiringLeadMs: number
  onEvent: KeycycleOptions['onEvent']
  onEventError: NonNullable<KeycycleOptions['onEventError']>
  /** The host's logger (wrapped so that it never throws), else {@link consoleLogger}. */
  logger: Logger
  /** The providers to record to (`{}`: the global ones), or null when telemetry is off. */
  telemetry: TelemetrySetting | null
  recordEvents: boolean
  importedTokens: boolean
  dispatch: DispatchSettings
  /** Usage analytics' retention, or null when they are off. */
  analytics: { retentionMs: number } | null
  /** Leased usage's settings, or null for exact spends (the default). */
  leases: { units: number; ttlMs: number } | null
}

const DISPATCH_DEFAULTS: DispatchSettings = {
  pollMs: 1000,
  leaseMs: 60_000,
  deliveryTimeoutMs: 30_000,
  retryBaseMs: 1000,
  retryMaxMs: 3_600_000,
  maxAttempts: 12,
  concurrency: 8,
  retentionMs: 7 * 86_400_000,
}

const DEFAULT_LEASE_UNITS = 10
const DEFAULT_LEASE_TTL_MS = 1000

function webCryptoBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n))
}

// The default `onEventError`: one error line naming the event, never its body.
const givenUp =
  (logger: Logger) =>
  (error: unknown, event: { type: string; id: string }): void =>
    logger.error(`keycycle: gave up delivering ${event.type} ${event.id}`, {
      eventId: event.id,
      eventType: event.type,
      error,
    })

/**
 * Validates `createKeycycle`'s options against {@link SERVICE_OPTIONS} and fills in the
 * defaults. Throws `validation` naming the option at fault (`cache.maxEntries`,
 * `dispatch.leaseMs`, …), `validation` for an unknown option.
 */
export function readServiceOptions(options: KeycycleOptions): ServiceSettings {
  if (typeof options !== 'object' || options === null) throw invalidInput('options', 'required')
  const given = parseInput(SERVICE_OPTIONS, options, 'create', null)
  const o = given as Partial<KeycycleOptions>
  if (o.store === undefined) throw invalidInput('store', 'required')
  const cache = o.cache
  if (cache !== undefined) {
    for (const name of ['maxStalenessMs', 'maxEntries'] as const) {
      if (cache[name] === undefined) throw invalidInput(`cache.${name}`, 'required')
    }
  }
  const dispatch = { ...DISPATCH_DEFAULTS, ...(o.dispatch as Partial<DispatchSettings>) }
  const analytics = (o.analytics ?? {}) as NonNullable<KeycycleOptions['analytics']>
  const usage = (o.usage ?? {}) as NonNullable<KeycycleOptions['usage']>
  const leased = usage.mode === 'leased'
  if (!leased && (usage.leaseUnits !== undefined || usage.leaseTtlMs !== undefined)) {
    throw invalidInput('usage.mode', 'must be leased for lease options')
  }
  // A lease spares the spend's round trip, not the read's: without the cache's bound there
  // would be nothing to gain, and nothing to bound revocations by.
  if (leased && cache === undefined)
    throw invalidInput('usage.mode', 'leased needs the cache option')
  if (dispatch.deliveryTimeoutMs >= dispatch.leaseMs) {
    throw invalidInput('dispatch.deliveryTimeoutMs', 'must be below dispatch.leaseMs')
  }
  const logger = (o.logger as Logger | undefined) ?? consoleLogger
  if (o.importedTokens === true && typeof o.store.findKeyByImportedDigest !== 'function') {
    throw invalidInput('importedTokens', 'needs a store with findKeyByImportedDigest')
  }
  return {
    store: o.store,
    logger,
    telemetry: o.telemetry ? ((o.telemetry === true ? {} : o.telemetry) as TelemetrySetting) : null,
    clock: o.clock ?? { now: () => Date.now() },
    random: o.random ?? { bytes: webCryptoBytes },
    tokenPrefix: o.tokenPrefix ?? 'kc',
    pepper: o.pepper,
    secretEncryption: readSecretEncryption(o.secretEncryption),
    allowReveal: o.allowReveal ?? false,
    lastUsedFlushMs: o.lastUsedFlushMs ?? 60_000,
    maxKeysPerOrganisation: o.maxKeysPerOrganisation,
    gracePeriodMs: o.gracePeriodMs ?? DEFAULT_GRACE_PERIOD_MS,
    trialDurationMs: o.trialDurationMs ?? DEFAULT_TRIAL_DURATION_MS,
    maxAttempts: o.maxAttempts ?? 5,
    cache: cache as CacheOptions | undefined,
    storeTimeoutMs: o.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS,
    expiringLeadMs: o.expiringLeadMs ?? DEFAULT_EXPIRING_LEAD_MS,
    onEvent: o.onEvent,
    onEventError: o.onEventError ?? givenUp(logger),
    recordEvents: o.recordEvents ?? o.onEvent !== undefined,
    importedTokens: o.importedTokens ?? false,
    dispatch,
    analytics:
      analytics.enabled === false
        ? null
        : { retentionMs: analytics.retentionMs ?? DEFAULT_ANALYTICS_RETENTION_MS },
    leases: leased
      ? {
          units: usage.leaseUnits ?? DEFAULT_LEASE_UNITS,
          ttlMs: usage.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
        }
      : null,
  }
}
