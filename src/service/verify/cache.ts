import { LRUCache } from 'lru-cache'
import type { KeyRecord, Organisation } from '../../core/types'
import type { ChangeFeed, KeyStore, StoreChange, Subscription } from '../../store'

/** Options of the verification cache. Durations in ms. */
export interface CacheOptions {
  /**
   * The revocation bound on other instances: no entry older than this is ever used. With the
   * store's change channel, changes arrive in milliseconds; without it, within this bound.
   */
  maxStalenessMs: number
  /** Most keys held (and as many organisations, and as many unknown key IDs). */
  maxEntries: number
}

/** What a cached read returns: the records (null for an unknown key) and when they were read. */
export interface CachedRead {
  found: { key: KeyRecord; organisation: Organisation } | null
  /** Epoch ms at which the store was read for this answer (now for a fresh read). */
  checkedAt: number
}

interface Entry<T> {
  value: T
  checkedAt: number
}

// A key's entry also keeps the answer it last gave, with the organisation entry it was made
// from, so that a hit allocates nothing while that entry stands.
interface KeyEntry extends Entry<KeyRecord> {
  answer?: { from: Entry<Organisation>; read: CachedRead }
}

// How many recent invalidations are remembered to refuse racing fills; older ones fold into a
// floor that refuses every fill started before it (safe, merely a miss).
const REMEMBERED_INVALIDATIONS = 10_000

/**
 * The verification cache. Reads go to the store on a miss or when an entry may be stale; a
 * store that cannot answer then fails the verification (`unavailable`), never a stale answer.
 * Fills are refused when the record was invalidated while it was being read, so a fill racing
 * a revocation can never bring the revoked record back. Writes through this instance
 * invalidate before and after they run, so the writer's next verification sees its change.
 */
export class VerifyCache {
  private readonly keys: LRUCache<string, KeyEntry>
  private readonly missing: LRUCache<string, Entry<null>>
  private readonly organisations: LRUCache<string, Entry<Organisation>>
  private seq = 0
  private floor = 0
  private readonly invalidatedAt = new Map<string, number>()
  private subscription: Promise<Subscription | null> | null = null

  constructor(
    private readonly store: KeyStore,
    private readonly options: CacheOptions,
  ) {
    const max = options.maxEntries
    this.keys = new LRUCache({ max })
    this.missing = new LRUCache({ max })
    this.organisations = new LRUCache({ max })
  }

  /** Subscribes to the store's change channel, if it has one; the bound holds without. */
  start(store: KeyStore, onError: (error: unknown) => void): void {
    if (!store.watch || this.subscription) return
    const feed: ChangeFeed = {
      changed: (change: StoreChange) => this.invalidate(change.id),
      // Changes may have been missed: refuse every fill that started before now.
      gap: () => {
        this.floor = ++this.seq
      },
      live: () => {},
    }
    const heartbeatMs = Math.max(1, Math.floor(this.options.maxStalenessMs / 3))
    this.subscription = store.watch(feed, { heartbeatMs }).catch((error: unknown) => {
      onError(error)
      return null
    })
  }

  /** Ends the change subscription. */
  async close(): Promise<void> {
    const subscription = await this.subscription
    this.subscription = null
    await subscription?.close()
  }

  /** Forgets a key or organisation and refuses fills of it that started before now. */
  invalidate(id: string): void {
    const seq = ++this.seq
    this.keys.delete(id)
    this.missing.delete(id)
    this.organisations.delete(id)
    this.invalidatedAt.delete(id)
    this.invalidatedAt.set(id, seq)
    if (this.invalidatedAt.size > REMEMBERED_INVALIDATIONS) {
      const [oldest, at] = this.invalidatedAt.entries().next().value as [string, number]
      this.invalidatedAt.delete(oldest)
      this.floor = Math.max(this.floor, at)
    }
  }

  /**
   * The key with its organisation at `now` (epoch ms, the caller's clock reading, which its
   * decision shares): from memory when fresh (answered synchronously, so a hit costs no
   * promise), else from the store.
   */
  read(keyId: string, now: number): CachedRead | Promise<CachedRead> {
    // The positive entry first: it is the hot path. A fresh key entry and a fresh "missing"
    // entry for one ID never coexist (each is filled only by a read the other did not answer).
    const key = this.keys.get(keyId)
    if (key && this.fresh(key, now)) {
      const organisation = this.organisations.get(key.value.organisation)
      if (organisation && this.fresh(organisation, now)) {
        if (key.answer?.from === organisation) return key.answer.read
        const found = Object.freeze({ key: key.value, organisation: organisation.value })
        const checkedAt = Math.min(key.checkedAt, organisation.checkedAt)
        const read = Object.freeze({ found, checkedAt })
        key.answer = { from: organisation, read }
        return read
      }
    }
    const missing = this.missing.get(keyId)
    if (missing && this.fresh(missing, now)) return { found: null, checkedAt: missing.checkedAt }
    return this.fill(keyId, now)
  }

  // Reads the store and keeps what it answered, unless the record was invalidated meanwhile.
  private async fill(keyId: string, now: number): Promise<CachedRead> {
    const started = this.seq
    const found = await this.store.getKeyWithOrganisation(keyId)
    if (this.untouchedSince(keyId, started)) {
      if (found === null) this.missing.set(keyId, { value: null, checkedAt: now })
      else this.keys.set(keyId, { value: found.key, checkedAt: now })
    }
    if (found !== null && this.untouchedSince(found.organisation.id, started)) {
      this.organisations.set(found.organisation.id, { value: found.organisation, checkedAt: now })
    }
    return { found, checkedAt: now }
  }

  private untouchedSince(id: string, started: number): boolean {
    return (this.invalidatedAt.get(id) ?? this.floor) <= started && this.floor <= started
  }

  // Every entry lapses at the bound, channel or not: the channel makes revocations arrive in
  // milliseconds, but a message it loses without noticing (a Cluster bus link that drops, say)
  // must not keep an entry alive. Past the bound a verification reads the store, and fails
  // closed if it cannot.
  private fresh(entry: { checkedAt: number }, now: number): boolean {
    return now - entry.checkedAt < this.options.maxStalenessMs
  }
}
