import { createDigests, type Digests } from '../core/digest'
import { invalidInput, KeycycleError } from '../core/errors'
import { DEFAULT_TRIAL_DURATION_MS } from '../core/keys'
import { DEFAULT_GRACE_PERIOD_MS } from '../core/rotation'
import { DEFAULT_EXPIRING_LEAD_MS } from '../core/schedule'
import { assertTokenPrefix } from '../core/token'
import type { VerifyView } from '../core/verify'
import type { KeyStore } from '../store'
import type { KeycycleEvent } from './events'
import { assertStore, guardStore } from './guarded-store'
import { platformHashes } from './hashes'
import { invalidatingStore } from './invalidating-store'
import type { KeycycleOptions } from './options'
import { UsageRecorder } from './usage-recorder'
import { parseCacheOptions, VerifyCache } from './verify-cache'
import { sharedViews } from './verify-views'

/** Everything a command needs, resolved once from the options. */
export interface Runtime {
  /** The host's store behind the deadline guard: every call settles, faults are `unavailable`. */
  store: KeyStore
  /** The injected clock, checked: positive integer epoch ms or a `validation` fault. */
  now(): number
  /** The injected random source, checked: exactly `n` bytes or a `validation` fault. */
  bytes(n: number): Uint8Array
  prefix: string
  digests: Digests
  /** Where verifications record last-used times and re-digests (see UsageRecorder). */
  usage: UsageRecorder
  maxKeysPerOrganisation: number | undefined
  gracePeriodMs: number
  trialDurationMs: number
  maxAttempts: number
  /** Builds (and shares) the key views of successful verifications. */
  views: VerifyView
  /** The verification cache, when configured; every write through `store` invalidates it. */
  cache: VerifyCache | null
  events: {
    /** Whether writes record their events in the outbox. */
    record: boolean
    /** Lead time of `key.expiring`. */
    leadMs: number
    /** Called after each commit that recorded events: wakes this instance's dispatcher. */
    committed(): void
    onEventError: (error: unknown, event: KeycycleEvent) => void
  }
}

function readDuration(value: number | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 0) throw invalidInput(field, 'must be an integer ≥ 0')
  return value
}

function webCryptoBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n))
}

function defaultOnEventError(error: unknown, event: KeycycleEvent): void {
  console.error(`keycycle: gave up delivering ${event.type} ${event.id}`, error)
}

/** Validates options and builds the runtime; throws `validation` on any bad option. */
export function createRuntime(options: KeycycleOptions): Runtime {
  if (typeof options !== 'object' || options === null) throw invalidInput('options', 'required')
  assertStore(options.store)
  const prefix = options.tokenPrefix ?? 'kc'
  assertTokenPrefix(prefix)
  const clock = options.clock ?? { now: () => Date.now() }
  const random = options.random ?? { bytes: webCryptoBytes }
  const maxAttempts = readDuration(options.maxAttempts, 'maxAttempts', 5)
  if (maxAttempts < 1) throw invalidInput('maxAttempts', 'must be at least 1')
  const storeTimeoutMs = readDuration(options.storeTimeoutMs, 'storeTimeoutMs', 2000)
  const guarded = guardStore(options.store, storeTimeoutMs)
  const cacheOptions = parseCacheOptions(options.cache)
  const now = () => {
    const value = clock.now()
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new KeycycleError('validation', 'clock: now() must return positive integer epoch ms')
    }
    return value
  }
  const cache = cacheOptions && new VerifyCache(guarded, cacheOptions)
  const flushMs = readDuration(options.lastUsedFlushMs, 'lastUsedFlushMs', 60_000)
  if (options.recordEvents !== undefined && typeof options.recordEvents !== 'boolean') {
    throw invalidInput('recordEvents', 'must be a boolean')
  }
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
    throw invalidInput('onEvent', 'must be a function')
  }
  const maxKeys = options.maxKeysPerOrganisation
  if (maxKeys !== undefined && (!Number.isSafeInteger(maxKeys) || maxKeys < 1)) {
    throw invalidInput('maxKeysPerOrganisation', 'must be an integer ≥ 1')
  }
  const rt: Runtime = {
    store: cache ? invalidatingStore(guarded, cache) : guarded,
    cache,
    views: sharedViews(),
    now,
    bytes(n) {
      const bytes = random.bytes(n)
      if (!(bytes instanceof Uint8Array) || bytes.length !== n) {
        throw new KeycycleError('validation', `random: bytes(${n}) must return ${n} bytes`)
      }
      return bytes
    },
    prefix,
    digests: createDigests(options.pepper, platformHashes()),
    gracePeriodMs: readDuration(options.gracePeriodMs, 'gracePeriodMs', DEFAULT_GRACE_PERIOD_MS),
    trialDurationMs: readDuration(
      options.trialDurationMs,
      'trialDurationMs',
      DEFAULT_TRIAL_DURATION_MS,
    ),
    maxAttempts,
    maxKeysPerOrganisation: maxKeys,
    events: {
      record: options.recordEvents ?? options.onEvent !== undefined,
      leadMs: readDuration(options.expiringLeadMs, 'expiringLeadMs', DEFAULT_EXPIRING_LEAD_MS),
      // Replaced by the dispatcher's nudge when this instance delivers events.
      committed: () => {},
      onEventError: options.onEventError ?? defaultOnEventError,
    },
    // Set just below: the recorder writes through this very runtime.
    usage: null as unknown as UsageRecorder,
  }
  rt.usage = new UsageRecorder(rt, flushMs, (error) =>
    console.error(
      'keycycle: writing last-used times failed; they are kept for the next flush',
      error,
    ),
  )
  return rt
}
