import type { CounterState, SpendOutcome, SpendPlan } from '../core/counters'
import type { StateClause } from '../core/filters'
import type { UsageCount } from '../core/key-usage'
import type { KeyRecord, KeyType, Organisation } from '../core/types'

/** A page request over one organisation's keys, ordered by key ID (ULIDs sort by creation). */
export interface KeyListQuery {
  organisation: string
  type?: KeyType
  /** Clauses joined by OR, built by the core from `now`; absent means any state. */
  states?: readonly StateClause[]
  /** `desc` returns the highest IDs first, `asc` the lowest. */
  order: 'asc' | 'desc'
  /** Exclusive bounds on the key ID. */
  idAbove?: string
  idBelow?: string
  /** Maximum number of records to return, ≥ 1. */
  limit: number
}

/**
 * What every call takes: the instant the caller stops waiting. The service passes one on every
 * call it makes (now + its `storeTimeoutMs`); a store used directly gets none and applies
 * `DEFAULT_STORE_TIMEOUT_MS` from the moment of the call (see `src/store/deadline.ts`,
 * the one deadline and retry policy).
 */
export interface CallOptions {
  /**
   * Epoch ms on the real clock (`Date.now()`'s, not the injected clock). A read may be
   * abandoned after it (the store rejects with `KeycycleError('unavailable')`). For a write it
   * is the fence (see `docs/decisions.md#fenced-writes`): the store commits before it or not
   * at all, and never later, even when the caller was already answered `unavailable`. A store
   * enforces it where the write is applied (a statement/lock timeout, a check inside a Redis
   * script against the server's time, no retry past it), and answers — commits, or rejects
   * with `unavailable` — soon after it; the service waits for that answer until the deadline
   * plus `FENCE_GRACE_MS` before it answers the caller itself (a dead connection).
   */
  deadline?: number | undefined
}

/** What every write takes besides its record: the events to record with it, and the fence. */
export interface WriteOptions extends CallOptions {
  /**
   * Events recorded in the same atomic write as the change: all of them when the write
   * commits, none when it does not (a lost compare-and-set, a taken ID, a fault).
   */
  events?: readonly OutboxEvent[] | undefined
}

/** Options of `insertKey`. */
export interface InsertKeyOptions extends WriteOptions {
  /** Refuse (`limit`) when the organisation already holds this many keys. */
  maxKeys?: number | undefined
}

/**
 * One event as the outbox keeps it. The store keeps `body` as opaque text and orders, claims
 * and settles events by the other fields; it never parses the body.
 */
export interface OutboxEvent {
  /** Unique and stable (`evt_` + ULID): the deduplication ID every delivery carries. */
  id: string
  /** The record the event is about; a store keeps the event beside it (same hash slot). */
  subject: { kind: 'key' | 'organisation'; id: string }
  /**
   * The delivery-order group: events of one stream are delivered one at a time in `seq`
   * order, so a stream's oldest undelivered event holds back the rest. Change events use the
   * subject's ID; scheduled events (`key.expiring`, `key.grace_ended`) their own ID.
   */
  stream: string
  /** Position within the stream: the version the change wrote (unique within a stream). */
  seq: number
  /** Epoch ms (injected clock): not delivered before this (the commit time, or the schedule). */
  availableAt: number
  /** The event, JSON-encoded. At most 64 KiB. Never holds a token. */
  body: string
}

/** What {@link KeyStore.outboxBacklog} answers. */
export interface OutboxBacklog {
  pending: number
  /** Epoch ms (injected clock), or null when nothing is pending. */
  oldestAvailableAt: number | null
}

/** An event handed to one dispatcher by {@link KeyStore.claimEvents}. */
export interface ClaimedEvent extends OutboxEvent {
  /** Failed deliveries before this claim. */
  attempts: number
}

/** A request for due events (see {@link KeyStore.claimEvents}). Times are injected-clock ms. */
export interface ClaimQuery {
  /** The claiming dispatcher, unique per instance. */
  owner: string
  now: number
  /** The claim lapses at this time; after it another dispatcher may claim the event again. */
  leaseUntil: number
  limit: number
}

/** How a claimed delivery ended: delivered (kept until pruned), or failed and due again. */
export type EventSettlement =
  | { owner: string; deliveredAt: number }
  | { owner: string; retryAt: number }

/** A request for keys whose expiry is due but not yet persisted, oldest `expiresAt` first. */
export interface DueKeysQuery {
  clause: StateClause & { expiresAtOrBefore: number }
  limit: number
}

/** Options of {@link KeyStore.addUsage}. */
export interface AddUsageOptions extends CallOptions {
  /**
   * The batch's ID, the same on every retry of it (the service makes one per flush). A store
   * that adds a call's counts in several steps records each step's batch ID beside it for at
   * least ten minutes and skips a step already done.
   */
  batch?: string | undefined
}

/** What a verification reads: a key's record with its organisation's. */
export interface KeyWithOrganisation {
  key: KeyRecord
  organisation: Organisation
}

/**
 * One verification's spend of usage counters, decided by the service on a key and an
 * organisation of known versions (see {@link KeyStore.spend}).
 */
export interface SpendRequest {
  keyId: string
  /** The key's version the decision was made on: nothing is spent unless it still holds. */
  keyVersion: number
  organisationId: string
  /** The organisation's version the decision was made on, checked as the key's is. */
  organisationVersion: number
  /** What to take: from which buckets, how many units, which credits. */
  plan: SpendPlan
  /**
   * The outbox events to record, in the same atomic step, when this spend empties the balance
   * (`key.credits_exhausted`), all about the key (a store keeps them beside it). Called at most
   * once, only when needed — except by a store that sends everything up front in one script or
   * statement (Redis, PostgreSQL), which may call it for any spend of a plan with credits.
   */
  eventsIfEmptied?: () => readonly OutboxEvent[]
}

/** What {@link KeyStore.spend} answers. */
export type SpendAnswer =
  | {
      /** The key or its organisation changed since the decision: nothing was spent. */
      stale: true
      /** Both as they are now, for the service to decide again (null: the key is gone). */
      current: KeyWithOrganisation | null
    }
  | ({ stale: false } & SpendOutcome)

/**
 * The storage port. A store keeps records and compares values; it never decides lifecycle and
 * never reads a clock: every time it compares against arrives inside the query.
 *
 * Contract, checked for every adapter by `describeStore` from `keycycle/conformance`:
 * - Reads return `null` (or an empty list) for "not found"; they never throw for absence.
 * - A stored record reads back deep-equal to what was written, field for field (`ConfigId`s keep
 *   their JSON type: `2` stays a number, `"2"` a string).
 * - Every write is atomic. `update*` is a compare-and-set on `version`: it writes `next` only if
 *   the stored version equals `expectedVersion`, and of any number of concurrent writers at the
 *   same version exactly one gets `true`. `next.version` is always `expectedVersion + 1`.
 * - Faults (connection lost, deadline passed) reject; the service maps them to `unavailable`.
 *   Adapters may reject with `KeycycleError('unavailable')` themselves.
 * - Records hold digests of secrets only; a store never sees a token.
 */
export interface KeyStore {
  /**
   * The key with its organisation, in one round trip where the backend allows: this is the
   * verification hot path. Null when either is missing.
   */
  getKeyWithOrganisation(id: string, options?: CallOptions): Promise<KeyWithOrganisation | null>

  /**
   * Optional: the same read answered at once, for a store that can answer from memory or a
   * synchronous driver without waiting (the memory store always; the Kysely store on its
   * better-sqlite3 connection when no transaction holds it). `undefined` means "not now": the
   * caller then uses {@link getKeyWithOrganisation}. A throw is a fault, as a rejection is.
   * The verification pipeline uses it to skip a promise round trip and the deadline
   * bookkeeping for a read that is already over; nothing else needs it.
   */
  getKeyWithOrganisationSync?(id: string): KeyWithOrganisation | null | undefined

  /**
   * Optional; needed by `importKey` and by the verification of imported tokens (without it
   * `importKey` rejects with `misconfigured` and such tokens are refused as malformed). The key
   * whose record holds the imported digest `hex` (the lower-case hex of an old token's plain
   * SHA-256), with its organisation, in one call; null when none does or either is missing.
   *
   * A store keeps an index from `importedHexOfRecord(record)` (`keycycle/store`) to the key's
   * ID, following every key write. The index may lag behind the records: it may answer a key
   * whose record no longer holds `hex` (a later rotation dropped it; the caller compares against
   * the record, which is the authority), but once an insert of a record holding `hex` has
   * committed, it never misses that key while the record holds it. Of two keys holding the same
   * digest it answers either. On the verification path: a digest that is found and one that is
   * not must cost the same (read and decode a neighbour or a decoy of a key's size, as
   * {@link getKeyWithOrganisation} does for an unknown ID).
   */
  findKeyByImportedDigest?(hex: string, options?: CallOptions): Promise<KeyWithOrganisation | null>

  /**
   * The usage counters' one atomic step: if the key's stored version is
   * `request.keyVersion` and its organisation's is `request.organisationVersion`, applies
   * `spendCounters` (from the core, `src/core/counters.ts`: every bucket and the credits, all
   * or nothing) to the counters the key and the organisation hold, stores what it returns when
   * the spend went through, records `eventsIfEmptied()` when it emptied the balance, and
   * answers its outcome; otherwise spends nothing and answers the current records (`stale`).
   * Of any number of concurrent spends, each sees the counters the previous one left: at most
   * what the counters allow goes through, on every store, across every client. Counters belong
   * to the key's ID (writes to the key's record never touch them) and are gone with the key;
   * an organisation's (for its `organisation`-scoped limits) with the organisation. Stores keep
   * them beside the records they belong to (on a Redis Cluster, in the same hash slot).
   */
  spend(request: SpendRequest, options?: CallOptions): Promise<SpendAnswer>

  /**
   * The counters of each key in `keyIds` (absent: none recorded), for showing live balances
   * in reads. No atomicity with anything: a view, not a decision.
   */
  readCounters(keyIds: readonly string[], options?: CallOptions): Promise<Map<string, CounterState>>

  /**
   * Inserts a key. Resolves `false`, writing nothing, if the ID is taken. With `maxKeys`, it
   * rejects with `KeycycleError('limit')`, writing nothing, when the key's organisation already
   * holds that many keys; of concurrent inserts racing for the last place exactly one wins.
   */
  insertKey(key: KeyRecord, options?: InsertKeyOptions): Promise<boolean>

  /** Compare-and-set: writes `next` if the stored version is `expectedVersion`. */
  updateKey(next: KeyRecord, expectedVersion: number, options?: WriteOptions): Promise<boolean>

  /**
   * Compare-and-set delete: removes the key, with every digest it holds, if the stored version
   * is `expectedVersion`; `false` (nothing removed) otherwise or when it does not exist. A
   * deleted key is gone from every read and list, and its ID is free again only in theory
   * (IDs are never reused).
   */
  deleteKey(id: string, expectedVersion: number, options?: WriteOptions): Promise<boolean>

  /**
   * How many stored digests each pepper made, by pepper ID (`''` for none or the legacy
   * single pepper; see `Digests.pepperOf`, which reads the `<id>$` prefix): current tokens, and
   * retiring tokens whose `until` is after `now`. For `kc.pepperUsage()`; may scan every key.
   */
  countDigests(now: number, options?: CallOptions): Promise<Record<string, number>>

  /**
   * Up to `limit` keys of one organisation matching `type` and `states`, strictly between
   * `idAbove` and `idBelow`, in `order`. Must reflect every committed write.
   */
  listKeys(query: KeyListQuery, options?: CallOptions): Promise<KeyRecord[]>

  /**
   * Up to `limit` keys of any organisation matching `clause` (which always bounds `expiresAt`),
   * by `expiresAt` ascending. May return a key whose due write just lost a race; callers re-check.
   */
  listDueKeys(query: DueKeysQuery, options?: CallOptions): Promise<KeyRecord[]>

  getOrganisation(id: string, options?: CallOptions): Promise<Organisation | null>

  /**
   * Inserts an organisation with its first key. Once this resolves both exist, and no reader
   * ever finds the organisation without that key. Resolves `false`, writing nothing, if either
   * ID is taken.
   */
  insertOrganisation(
    organisation: Organisation,
    firstKey: KeyRecord,
    options?: WriteOptions,
  ): Promise<boolean>

  /** Compare-and-set on the organisation's `version`, as `updateKey`. */
  updateOrganisation(
    next: Organisation,
    expectedVersion: number,
    options?: WriteOptions,
  ): Promise<boolean>

  /**
   * The durable outbox. Claims up to `limit` events for `owner` until `leaseUntil`.
   * An event is claimable when it is undelivered, `availableAt ≤ now`, not under a live claim
   * (`leaseUntil > now` of an earlier claim), and the lowest-`seq` undelivered event of its
   * stream. Each claim is atomic: of dispatchers claiming concurrently, one gets each event.
   * Order of the result: none promised. May return fewer than `limit` while more are due.
   */
  claimEvents(query: ClaimQuery, options?: CallOptions): Promise<ClaimedEvent[]>

  /**
   * Ends a claim: marks the event delivered at `deliveredAt`, or puts it back as due at
   * `retryAt` with `attempts + 1`. Only while `owner` still holds the claim; resolves `false`,
   * changing nothing, when the event was claimed by another since (it may be delivered again,
   * with the same ID) or is gone.
   */
  settleEvent(
    event: ClaimedEvent,
    settlement: EventSettlement,
    options?: CallOptions,
  ): Promise<boolean>

  /** Deletes up to `limit` events delivered at or before `deliveredBefore`; resolves how many. */
  pruneEvents(deliveredBefore: number, limit: number, options?: CallOptions): Promise<number>

  /**
   * Optional: what the store is, for telemetry's `keycycle.store.kind` (`memory`, `sqlite`,
   * `postgresql`, `mysql`, `redis`, …). Default `custom`.
   */
  readonly kind?: string

  /**
   * Optional, for telemetry: how many events are due (`availableAt` at or before `now`) and not
   * delivered, and the earliest `availableAt` among them (null when none). A retried event
   * counts from its retry time. Read only when a host collects keycycle's metrics.
   */
  outboxBacklog?(now: number, options?: CallOptions): Promise<OutboxBacklog>

  /**
   * Usage analytics: adds each count to what is stored for its key, hour and outcome (a new
   * cell starts at 0). An atomic increment per cell, so adds from any number of instances sum
   * exactly. A call that rejects may have added part of its counts (a store adding key by key):
   * called again with the same `batch`, such a store adds only what was not added yet, so a
   * retried batch is counted once. No check that the key exists: counts of a deleted key stay
   * until pruned, unread.
   */
  addUsage(counts: readonly UsageCount[], options?: AddUsageOptions): Promise<void>

  /**
   * The stored counts of one key for hours in `[from, to)` (epoch ms), in any order; an empty
   * list when none. Hours are multiples of 3 600 000.
   */
  readUsage(keyId: string, from: number, to: number, options?: CallOptions): Promise<UsageCount[]>

  /**
   * Deletes stored counts of hours before `before`, about `limit` at a time (cells, or keys'
   * worth of cells on a store that prunes per key), and resolves how many cells it deleted.
   * The service calls it again while it deletes any; 0 means nothing older was found.
   */
  pruneUsage(before: number, limit: number, options?: CallOptions): Promise<number>

  /**
   * Optional invalidation channel (Redis pub/sub, PostgreSQL `LISTEN/NOTIFY`, in-process for
   * the memory store): calls `feed.changed` for every key or organisation write committed by
   * any client of the same data, as part of that write where the backend allows (so a committed
   * change is never left unannounced). Resolves once the feed is live. While it is live no
   * committed change goes unreported; when it may have missed some (a disconnect) it calls
   * `feed.gap()`, and `feed.live()` once it delivers again. Duplicates are allowed. The
   * verification cache uses this to hold its revocation bound in milliseconds; without it the
   * bound is the cache's `maxStalenessMs`.
   */
  watch?(feed: ChangeFeed, options: WatchOptions): Promise<Subscription>
}

/** How a change channel proves it is live. */
export interface WatchOptions {
  /**
   * Call `feed.live()` at least this often (ms) while the channel demonstrably delivers (a
   * round trip on the subscribed connection), and `feed.gap()` when it does not, so that a
   * silent channel (a paused server) lapses instead of being trusted.
   */
  heartbeatMs: number
}

/** What a store's change channel reports (see {@link KeyStore.watch}). */
export interface ChangeFeed {
  /** A record changed (written, created or deleted) on some client of the store. */
  changed(change: StoreChange): void
  /** Changes may have been missed since the last call (the channel dropped). */
  gap(): void
  /** The channel delivers again; changes from now on are reported. */
  live(): void
}

/** One committed change, by record. */
export interface StoreChange {
  kind: 'key' | 'organisation'
  id: string
}

/** A live subscription; `close` ends it and releases what it holds (idempotent). */
export interface Subscription {
  close(): Promise<void>
}
