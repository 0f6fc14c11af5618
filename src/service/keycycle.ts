import { createDigests } from '../core/digest'
import { KeycycleError } from '../core/errors'
import type { CreateOrganisationInput } from '../core/inputs'
import { parseActor } from '../core/inputs'
import { applyRecordedUse } from '../core/last-used'
import type { LeakMatch } from '../core/secret-scanning'
import type { Actor, EffectiveConfig, SystemActor } from '../core/types'
import type { VerifyOptions } from '../core/usage-control'
import type { VerifyResult } from '../core/verify-result'
import type { KeyStore } from '../store'
import { compareAndSetLoop } from './compare-and-set'
import { keyDeletion } from './delete-key'
import type { Bytes, Now } from './deps'
import { Dispatcher } from './dispatcher'
import { outboxEvents } from './emit'
import { guardStore } from './guarded-store'
import { type ActorHandle, actorHandle, type ServiceCalls } from './handle'
import { platformHashes } from './hashes'
import { keyImport } from './import-key'
import { keyCommands } from './key-commands'
import { keyQueries } from './key-queries'
import { type LeakVerdict, leakReports, type ReportLeaksOptions } from './leak-reports'
import { lockoutGuard } from './lockout-guard'
import { idSource, minter } from './minting'
import { keyMutation } from './mutate-key'
import type { Clock, KeycycleOptions, RandomSource } from './options'
import { type CreatedOrganisation, organisationCommands } from './organisation-commands'
import { keyReveal } from './reveal-key'
import { secretSealer } from './secret-sealer'
import { readServiceOptions } from './service-options'
import type { ExpireDueOptions } from './state-commands'
import { stateCommands } from './state-commands'
import { observeOutbox } from './telemetry/outbox-gauges'
import { Telemetry } from './telemetry/telemetry'
import { tracedDelivery, tracedOperations } from './telemetry/traced-operations'
import { tracedStore } from './telemetry/traced-store'
import { tracedVerify } from './telemetry/traced-verify'
import { VerifyCache } from './verify/cache'
import { importedReader } from './verify/imported-read'
import { LastUsedRecorder } from './verify/last-used-recorder'
import { Leases } from './verify/leases'
import { keyReader } from './verify/read-key'
import { sharedViews } from './verify/shared-views'
import { ReplayGuard } from './verify/signed-request'
import { UsageTally } from './verify/usage-tally'
import { verifier } from './verify/verify'
import { hookWrites } from './write-hooks'

/**
 * The keycycle service. Host-level calls (no actor) live here; everything done *for* someone
 * goes through an actor-scoped handle from {@link Keycycle.as}, {@link Keycycle.asOrganisation}
 * or {@link Keycycle.asAdmin}.
 *
 * @example
 * ```ts
 * const kc = createKeycycle({ store: memoryStore() })
 * const { organisation, token } = await kc.createOrganisation()
 * const result = await kc.verify(token)                       // { ok: true, key, … }
 * const org = kc.asOrganisation(organisation.id)
 * await org.listKeys({ limit: 10 })
 * ```
 */
export interface Keycycle {
  /**
   * A handle acting as `actor`, validated once here: `validation` unless it is
   * `{ kind: 'organisation', id: <organisation ID> }` or `{ kind: 'admin', id: <1–255 chars> }`.
   * Making a handle does no I/O.
   */
  as(actor: Actor): ActorHandle
  /** Same as `as({ kind: 'organisation', id })`: the owner acting on its own keys. */
  asOrganisation(id: string): ActorHandle
  /** Same as `as({ kind: 'admin', id })`: the API administrator; `id` is recorded in audit fields. */
  asAdmin(id: string): ActorHandle
  /**
   * Creates an organisation and its first standard key, atomically, and returns that key's token
   * (shown this once). Host-level: no actor; the key is recorded as created by the organisation.
   */
  createOrganisation(input?: CreateOrganisationInput): Promise<CreatedOrganisation>
  /**
   * Checks a token, and what `options` asks of its key: the request's `cost` (credits spent and
   * units taken from every rate limit, default 1), the client's `ip` (against the key's allowed
   * addresses), the `permissions` it needs (a query: `'a AND (b OR c)'`, or a list meaning all).
   * Returns a result for every token, valid or not, refused or not; a refusal spends nothing.
   * Rejects with `validation` for malformed options (never for a token), and with
   * `unavailable` when the store did not answer in time, so middleware can fail closed.
   *
   * @example
   * ```ts
   * const result = await kc.verify(token, { ip: '203.0.113.9', permissions: 'reports:read' })
   * if (!result.ok && result.code === 'rate_limited') retryIn(result.retryAfterMs)
   * ```
   */
  verify(token: string, options?: VerifyOptions): Promise<VerifyResult>
  /**
   * The instance's clock: epoch ms, as `verify` and every other call read it (the `clock`
   * option, else `Date.now`). Hosts state times relative to results with it (`RateLimit`'s
   * seconds until reset).
   */
  now(): number
  /**
   * Checks a request signed with a signing key's token (NCP API Gateway signature v2: the
   * headers `x-ncp-apigw-timestamp`, `x-ncp-iam-access-key` — the key's ID — and
   * `x-ncp-apigw-signature-v2`, made by `signRequest` from `keycycle/sign`), asking what
   * `options` asks as {@link Keycycle.verify} does, with the same results. `target` is the
   * raw path and query as received. Besides verify's codes: `stale_signature` (the timestamp
   * missing or more than 5 minutes from this instance's clock) and `replayed` (the same
   * signature already accepted by this instance within the window). During a rotation's grace
   * window the retiring token's signatures verify too. Rejects as `verify` does.
   *
   * @example
   * ```ts
   * const result = await kc.verifyRequest({ method: req.method, target: req.originalUrl, headers: req.headers })
   * ```
   */
  verifyRequest(
    request: {
      method: string
      target: string
      headers: { get(name: string): string | null } | Record<string, string | string[] | undefined>
    },
    options?: VerifyOptions,
  ): Promise<VerifyResult>
  /** The effective configuration of any key, with sources. Host-level: no reach check. */
  resolveConfig(keyId: string): Promise<EffectiveConfig>
  /**
   * Handles tokens reported as found in public (GitHub secret scanning; `keycycle/secret-scanning`
   * is the HTTP side). A match whose token is one of this instance's prefix and verifies as a
   * key's current or retiring token (whatever the key's state) is a true positive; anything
   * else a false positive, which changes nothing. For each true positive `key.leaked` is
   * recorded with the write (the slot, `url`, `source`; never the token), and under the
   * `revoke` policy (the default) that token stops working at once: the key keeps its ID, its
   * other tokens and its counters, and its owner rotates the slot for a new token. Under
   * `notify` nothing else changes. A token revoked by an earlier report is a true positive with
   * outcome `already_revoked`. Keys are read side by side, each once per call (the port has
   * no multi-get); only true positives are written. Resolves one verdict per match, in order.
   * Rejects with `validation` for more than 1,000 matches or a match without a string
   * `token` and `type`, and with `unavailable` when the store fails (retry the whole report:
   * a repeat is recognised).
   */
  reportLeaks(matches: readonly LeakMatch[], options?: ReportLeaksOptions): Promise<LeakVerdict[]>
  /**
   * Persists due expiries and emits `key.expired`; returns how many keys this call expired.
   * Then prunes usage analytics' counts older than `analytics.retentionMs`. Run it regularly
   * (the CLI's `sweep --every`).
   */
  expireDue(options?: ExpireDueOptions): Promise<number>
  /**
   * How many stored digests each pepper made, by pepper ID (`''`: no pepper, or the legacy
   * single pepper), counting current tokens and retiring tokens still in their grace window.
   * An old pepper can be removed from `pepper` once its count is zero. May scan every key.
   */
  pepperUsage(): Promise<Record<string, number>>
  /**
   * Writes pending last-used times, re-digests and usage analytics' counts now (see
   * `lastUsedFlushMs`). Rejects with the first fault; what could not be written is kept for the
   * next flush.
   */
  flushUsage(): Promise<void>
  /**
   * Flushes last-used times, stops what keycycle runs in the background (the flush timer, the
   * cache's change subscription) and releases what it opened. Idempotent. The store's own
   * client stays the host's to close.
   */
  close(): Promise<void>
  /**
   * Delivers every outbox event that is due now through this instance's `onEvent`, waiting
   * for each delivery to end (delivered, put back for a retry, or given up), and resolves with
   * how many ended. Events put back for a retry are not waited for. Resolves 0 without
   * `onEvent`. For tests, scripts and graceful shutdowns; the dispatcher delivers by itself.
   */
  drainEvents(): Promise<number>
}

/** Builds the service. Throws `validation` for bad options; does no I/O until called. */
export function createKeycycle(options: KeycycleOptions): Keycycle {
  const settings = readServiceOptions(options)
  // The one composition root: every part gets what it uses, built here in one step.
  const now = checkedClock(settings.clock)
  const bytes = checkedRandom(settings.random)
  const newId = idSource(bytes)
  const hashes = platformHashes()
  const digests = createDigests(settings.pepper, hashes)
  const mint = minter(bytes, settings.tokenPrefix, digests)
  const keks = settings.secretEncryption
  const sealer = keks.length === 0 ? null : secretSealer(keks, bytes)
  const { onEvent, logger } = settings
  // Telemetry wraps from outside (the store, the read step, verify, the handles): with it off
  // (the default) none of its code runs and @opentelemetry/api is never imported.
  const telemetry = settings.telemetry && new Telemetry(settings.telemetry, logger)
  const storeKind = settings.store.kind ?? 'custom'
  const bare = guardStore(settings.store, settings.storeTimeoutMs)
  const guarded = telemetry ? tracedStore(bare, telemetry, storeKind) : bare
  const cache = settings.cache ? new VerifyCache(guarded, settings.cache) : null
  const dispatcher =
    onEvent === undefined
      ? null
      : new Dispatcher({
          store: guarded,
          now,
          bytes,
          onEvent,
          onEventError: settings.onEventError,
          logger,
          ...(telemetry ? { observe: tracedDelivery(telemetry) } : {}),
          settings: settings.dispatch,
        })
  // Every write through this instance: the cache forgets what it touches, and a commit that
  // recorded events wakes this instance's dispatcher.
  const store = hookWrites(guarded, {
    before: (ids) => {
      for (const id of ids) cache?.invalidate(id)
    },
    after: (ids, committed, events) => {
      for (const id of ids) cache?.invalidate(id)
      if (committed && events) dispatcher?.nudge()
    },
  })
  const events = outboxEvents(settings.recordEvents, settings.expiringLeadMs, newId)
  const compareAndSet = compareAndSetLoop(settings.maxAttempts, now, bytes)
  const mutateKey = keyMutation(store, compareAndSet, events)
  const guardLockout = lockoutGuard(store, now)
  const calls: ServiceCalls = {
    keys: keyCommands({
      store,
      now,
      newId,
      mint,
      sealer,
      events,
      mutateKey,
      gracePeriodMs: settings.gracePeriodMs,
      trialDurationMs: settings.trialDurationMs,
      maxKeysPerOrganisation: settings.maxKeysPerOrganisation,
    }),
    importKey: keyImport({
      store,
      now,
      newId,
      events,
      hashes,
      prefix: settings.tokenPrefix,
      trialDurationMs: settings.trialDurationMs,
      maxKeysPerOrganisation: settings.maxKeysPerOrganisation,
    }),
    states: stateCommands({ store, now, mutateKey, guardLockout }),
    deleteKey: keyDeletion({ store, now, events, compareAndSet, guardLockout }),
    queries: keyQueries(store, now),
    revealKey: keyReveal({ store, sealer, mutateKey, allowed: settings.allowReveal }),
    organisations: organisationCommands({
      store,
      now,
      newId,
      mint,
      events,
      compareAndSet,
      trialDurationMs: settings.trialDurationMs,
    }),
  }
  const lastUsed = new LastUsedRecorder(
    async (keyId, recorded) => {
      await mutateKey(keyId, SYSTEM, ({ key }) => {
        const next = applyRecordedUse(key, recorded)
        return next === null ? null : { record: next, result: null }
      })
    },
    settings.lastUsedFlushMs,
    (error) =>
      logger.warn('keycycle: writing last-used times failed; they are kept for the next flush', {
        error,
      }),
  )
  const reportLeaks = leakReports({
    store,
    now,
    digests,
    prefix: settings.tokenPrefix,
    mutateKey,
  })
  const tally =
    settings.analytics &&
    new UsageTally(store, settings.lastUsedFlushMs, (error) =>
      logger.warn(
        'keycycle: writing usage analytics failed; the counts are kept for the next flush',
        { error },
      ),
    )
  const retentionMs = settings.analytics?.retentionMs
  const views = sharedViews()
  const leases = settings.leases && new Leases(store, settings.leases, now)
  const traced = telemetry && tracedVerify(telemetry, storeKind, cache !== null)
  const read = keyReader(store, cache, views.hint)
  const { verify: plainVerify, verifyRequest } = verifier({
    prefix: settings.tokenPrefix,
    now,
    read: traced ? traced.read(read) : read,
    readImported: settings.importedTokens ? importedReader(store, hashes) : null,
    store,
    cache,
    events,
    digests,
    views,
    lastUsed,
    leases,
    tally,
    sealer,
    hmacHex: hashes.hmacSha256Hex,
    replays: new ReplayGuard(),
  })
  const verify = traced ? traced.verify(plainVerify) : plainVerify
  void telemetry?.ready.then(() => {
    if (telemetry.instruments) observeOutbox(telemetry.instruments, guarded, now)
  })

  cache?.start(store, (error: unknown) =>
    logger.error(
      'keycycle: the change channel could not start; the cache bound is maxStalenessMs',
      {
        error,
      },
    ),
  )
  dispatcher?.start()
  const as = (actor: Actor) => {
    const handle = actorHandle(calls, parseActor(actor))
    return telemetry ? tracedOperations(handle, telemetry, handle.actor.kind) : handle
  }
  const hostCalls = {
    createOrganisation: (input?: CreateOrganisationInput) =>
      calls.organisations.createOrganisation(input),
    resolveConfig: (keyId: string) => calls.queries.resolveConfig(SYSTEM, keyId),
    expireDue: async (opts?: ExpireDueOptions) => {
      const expired = await calls.states.expireDue(opts)
      if (retentionMs !== undefined) await pruneUsage(store, now() - retentionMs)
      return expired
    },
    reportLeaks,
  }
  const host = telemetry ? tracedOperations(hostCalls, telemetry, 'system') : hostCalls
  return {
    as,
    asOrganisation: (id) => as({ kind: 'organisation', id }),
    asAdmin: (id) => as({ kind: 'admin', id }),
    ...host,
    verify,
    now,
    verifyRequest,
    pepperUsage: async () => withoutRevoked(await store.countDigests(now())),
    flushUsage: async () => {
      const [recorded, counted] = await Promise.allSettled([lastUsed.flush(), tally?.flush()])
      if (recorded.status === 'rejected') throw recorded.reason
      if (counted.status === 'rejected') throw counted.reason
    },
    drainEvents: async () => (dispatcher ? dispatcher.drain() : 0),
    close: async () => {
      try {
        await leases?.close(now())
        await Promise.all([lastUsed.close(), tally?.close()])
      } finally {
        await dispatcher?.close()
        await cache?.close()
      }
    },
  }
}

const SYSTEM: SystemActor = { kind: 'system' }

// Revoked digests (`!<pepper>$…`, see core/leaks.ts) verify nothing whatever the pepper: they
// hold no pepper back from being removed.
function withoutRevoked(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([pepper]) => !pepper.startsWith('!')))
}

// Usage counts before `before`, a batch at a time until a batch finds none.
const PRUNE_BATCH = 1000
async function pruneUsage(store: KeyStore, before: number): Promise<void> {
  while ((await store.pruneUsage(before, PRUNE_BATCH)) > 0) {}
}

// The injected clock, checked on every reading: a bad clock is a fault, never a wrong decision.
function checkedClock(clock: Clock): Now {
  return () => {
    const value = clock.now()
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new KeycycleError('validation', 'clock: now() must return positive integer epoch ms')
    }
    return value
  }
}

// The injected random source, checked on every call: exactly the bytes asked for.
function checkedRandom(random: RandomSource): Bytes {
  return (n) => {
    const bytes = random.bytes(n)
    if (!(bytes instanceof Uint8Array) || bytes.length !== n) {
      throw new KeycycleError('validation', `random: bytes(${n}) must return ${n} bytes`)
    }
    return bytes
  }
}
