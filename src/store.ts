import type { StateClause } from './core/filters'
import type { KeyRecord, KeyType, Organisation } from './core/types'

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

/** Options of `insertKey`. */
export interface InsertKeyOptions {
  /** Refuse (`limit`) when the organisation already holds this many keys. */
  maxKeys?: number
}

/** A request for keys whose expiry is due but not yet persisted, oldest `expiresAt` first. */
export interface DueKeysQuery {
  clause: StateClause & { expiresAtOrBefore: number }
  limit: number
}

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
  getKeyWithOrganisation(id: string): Promise<{ key: KeyRecord; organisation: Organisation } | null>

  /**
   * Inserts a key. Resolves `false`, writing nothing, if the ID is taken. With `maxKeys`, it
   * rejects with `KeycycleError('limit')`, writing nothing, when the key's organisation already
   * holds that many keys; of concurrent inserts racing for the last place exactly one wins.
   */
  insertKey(key: KeyRecord, options?: InsertKeyOptions): Promise<boolean>

  /** Compare-and-set: writes `next` if the stored version is `expectedVersion`. */
  updateKey(next: KeyRecord, expectedVersion: number): Promise<boolean>

  /**
   * Compare-and-set delete: removes the key, with every digest it holds, if the stored version
   * is `expectedVersion`; `false` (nothing removed) otherwise or when it does not exist. A
   * deleted key is gone from every read and list, and its ID is free again only in theory
   * (IDs are never reused).
   */
  deleteKey(id: string, expectedVersion: number): Promise<boolean>

  /**
   * How many stored digests each pepper made, by pepper ID (`''` for none or the legacy
   * single pepper; see `Digests.pepperOf`, which reads the `<id>$` prefix): current tokens, and
   * retiring tokens whose `until` is after `now`. For `kc.pepperUsage()`; may scan every key.
   */
  countDigests(now: number): Promise<Record<string, number>>

  /**
   * Up to `limit` keys of one organisation matching `type` and `states`, strictly between
   * `idAbove` and `idBelow`, in `order`. Must reflect every committed write.
   */
  listKeys(query: KeyListQuery): Promise<KeyRecord[]>

  /**
   * Up to `limit` keys of any organisation matching `clause` (which always bounds `expiresAt`),
   * by `expiresAt` ascending. May return a key whose due write just lost a race; callers re-check.
   */
  listDueKeys(query: DueKeysQuery): Promise<KeyRecord[]>

  getOrganisation(id: string): Promise<Organisation | null>

  /**
   * Inserts an organisation with its first key. Once this resolves both exist, and no reader
   * ever finds the organisation without that key. Resolves `false`, writing nothing, if either
   * ID is taken.
   */
  insertOrganisation(organisation: Organisation, firstKey: KeyRecord): Promise<boolean>

  /** Compare-and-set on the organisation's `version`, as `updateKey`. */
  updateOrganisation(next: Organisation, expectedVersion: number): Promise<boolean>

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
