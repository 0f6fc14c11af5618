import type { PepperOption } from '../core/digest'
import type { KeyStore } from '../store'
import type { KeycycleEvent } from './events'
import type { Logger } from './logger'
import type { CacheOptions } from './verify/cache'

/** Where time comes from; `now()` returns epoch milliseconds. */
export interface Clock {
  now(): number
}

/** Where randomness comes from; `bytes(n)` returns `n` bytes from a CSPRNG. */
export interface RandomSource {
  bytes(n: number): Uint8Array
}

/** Options of {@link createKeycycle}. Every duration is in milliseconds. */
export interface KeycycleOptions {
  /** Required: where keys and organisations live. */
  store: KeyStore
  /** Default `Date.now`. Every lifecycle decision reads this one clock. */
  clock?: Clock
  /** Default Web Crypto `getRandomValues`. */
  random?: RandomSource
  /** Token prefix, lower-case words joined by `_` (e.g. `kc_live`). Default `kc`. */
  tokenPrefix?: string
  /**
   * Server-side secret (≥ 16 bytes): digests become HMAC-SHA-256 instead of SHA-256. A list of
   * `{ id, secret }` rotates peppers: the first is current (new digests, and re-digests of
   * tokens that verify under an older one, written behind like last-used); the others still
   * verify the digests they made, until `kc.pepperUsage()` says none is left. A plain string or
   * bytes is the one legacy pepper (ID `''`). Default: no pepper.
   */
  pepper?: PepperOption
  /**
   * The key-encryption keys (`{ keys: [{ id, key }] }`, each 32 bytes) signing keys' tokens are
   * sealed under (AES-256-GCM), so that signed requests verify (`kc.verifyRequest`). The first
   * is current; the others still open what they sealed (re-sealed under the current one as
   * `kc.rewrapSecrets()` runs) until `kc.secretEncryptionUsage()` counts none. Without it,
   * `signing: true` is refused with `validation`. Default: none.
   */
  secretEncryption?: { keys: readonly { id: string; key: Uint8Array }[] }
  /**
   * Whether an admin may read a signing key's current token back (`kc.asAdmin(id).revealKey`),
   * each time recorded as `key.revealed` with the admin's ID. Default false: every reveal is
   * refused with `forbidden`. Organisations may never reveal.
   */
  allowReveal?: boolean
  /**
   * How often last-used times (and pepper re-digests) are written, at most one write per key
   * per interval, never on the request path; `close()` flushes. Default 60 000; 0 writes only on
   * `close()` or `flushUsage()`.
   */
  lastUsedFlushMs?: number
  /** Most keys one organisation may hold; `createKey` beyond it is refused with `limit`. */
  maxKeysPerOrganisation?: number
  /**
   * Whether `verify` looks up tokens of another format among imported ones
   * (`docs/decisions.md#importing-keys`): a token that is not keycycle-shaped (and does not
   * start with `<tokenPrefix>_`), of 1–512 characters, is found by its SHA-256 in one store
   * call, at the same cost whether it is found or not. Needs a store with
   * `findKeyByImportedDigest` (every bundled store). Default false: such a token is refused as
   * `malformed` with no store call; keycycle's own tokens never take the lookup either way.
   */
  importedTokens?: boolean
  /** How long a replaced token keeps working after a non-forced rotation. Default 6 hours. */
  gracePeriodMs?: number
  /** Lifetime of a trial key created without `expiresAt`. Default 14 days. */
  trialDurationMs?: number
  /** Attempts of a read-decide-write cycle before a lost compare-and-set is `conflict`. Default 5. */
  maxAttempts?: number
  /**
   * Verification cache (`docs/decisions.md#verification-cache`): hot keys verify with no store round trip. A change made
   * through this instance holds for its very next verification; one made elsewhere holds here
   * within `maxStalenessMs`, or within milliseconds when the store has a change channel
   * (Redis pub/sub, PostgreSQL LISTEN/NOTIFY, the memory store). When an entry may be stale
   * and the store cannot answer, verification fails with `unavailable`. Default: no cache.
   */
  cache?: CacheOptions
  /** Deadline of every store call; past it the call fails with `unavailable`. Default 2000. */
  storeTimeoutMs?: number
  /** How long before `expiresAt` the clock emits `key.expiring`. Default 3 days (259 200 000). */
  expiringLeadMs?: number
  /**
   * Receives every event at least once, from the durable outbox (`docs/decisions.md#events-and-the-outbox`), in commit order per
   * key, never on the request path: a write records its events atomically with the change and
   * returns; this instance's dispatcher delivers them. A throw or a delivery that takes longer
   * than `dispatch.deliveryTimeoutMs` is a failed delivery, retried with backoff; redeliveries
   * carry the same `id`. `delivery.attempt` is 1 for the first attempt.
   */
  onEvent?: (event: KeycycleEvent, delivery: { attempt: number }) => void | Promise<void>
  /**
   * Receives an event whose delivery failed `dispatch.maxAttempts` times, with the last error;
   * the outbox then gives it up. Default: `logger.error` with the event type and ID.
   */
  onEventError?: (error: unknown, event: KeycycleEvent) => void
  /**
   * Where keycycle logs background faults (the outbox, the last-used flush, the cache's change
   * channel), failed and given-up deliveries, at levels a host filters: `{ error, warn, info,
   * debug }`, each taking a message and a structured object (winston's order; `console` fits;
   * for pino see docs/observability.md#logs). Never given a token or a secret. A throw from it
   * is ignored. Default: `error` and `warn` to `console.error` and `console.warn`, `info` and
   * `debug` dropped.
   */
  logger?: Logger
  /**
   * OpenTelemetry spans and metrics (docs/observability.md#opentelemetry), through
   * `@opentelemetry/api` (an optional peer, >= 1.9), imported only when this is set: `true`
   * for the global providers, or the host's `tracerProvider` and `meterProvider` (either
   * omitted: the global one). The import is asynchronous; calls made before it settles wait
   * for it once. Never records a token or a secret. Default: off, and no OpenTelemetry code runs.
   */
  telemetry?:
    | boolean
    | {
        tracerProvider?: { getTracer(name: string, version?: string): unknown }
        meterProvider?: { getMeter(name: string, version?: string): unknown }
      }
  /**
   * Whether this instance's writes record events in the outbox. Default: true when `onEvent`
   * is set. Set `true` on an instance that changes keys but leaves delivery to others (another
   * process with `onEvent` delivers what it records); with no dispatcher anywhere, recorded
   * events are kept until one runs.
   */
  recordEvents?: boolean
  /** The outbox dispatcher of this instance; it runs when `onEvent` is set. */
  dispatch?: DispatchOptions
  /**
   * How verifications spend rate limits and credits. `exact` (default): each one spends in the
   * store's atomic step, so across a fleet at most what the limits and credits allow goes
   * through. `leased` (needs `cache`): an instance takes `leaseUnits` (default 10) at a time
   * with a spend and spends them in process, with no round trip; a lease unused for
   * `leaseTtlMs` (default 1000) is given back, as are all on `close()`. A limit may then let
   * through up to `instances × leaseUnits` more in a window (units taken early, spent late);
   * credits are never overspent. A result spent from a lease says so (`usageAccuracy`).
   */
  usage?: { mode?: 'exact' | 'leased'; leaseUnits?: number; leaseTtlMs?: number }
  /**
   * Usage analytics (`handle.getKeyUsage`, `GET /keys/{id}/usage`): every verification whose
   * key exists is counted by key, UTC hour and outcome (`success` or the refusal's code), in
   * memory, and written with last use every `lastUsedFlushMs` (one store write per flush,
   * never on the request path; a crash loses at most that interval's counts). Counts older than
   * `retentionMs` (default 90 days, at least an hour) are pruned by `expireDue`. On by default;
   * `enabled: false` counts nothing.
   */
  analytics?: { enabled?: boolean; retentionMs?: number }
}

/** Options of the outbox dispatcher. Every duration is in milliseconds. */
export interface DispatchOptions {
  /** How often the outbox is polled for due events (a local write also wakes it). Default 1000. */
  pollMs?: number
  /** How long a claim lasts; after it another instance may take the event over. Default 60 000. */
  leaseMs?: number
  /** A delivery still pending after this has failed (must be below `leaseMs`). Default 30 000. */
  deliveryTimeoutMs?: number
  /** The first retry's delay; each further retry doubles it, up to `retryMaxMs`. Default 1000. */
  retryBaseMs?: number
  /** Longest delay between retries. Default 3 600 000 (1 hour). */
  retryMaxMs?: number
  /** Attempts before the event is given up and passed to `onEventError`. Default 12. */
  maxAttempts?: number
  /** Deliveries in flight at once (each to a different key). Default 8. */
  concurrency?: number
  /** How long delivered events are kept (for deduplication and audit). Default 7 days. */
  retentionMs?: number
}
