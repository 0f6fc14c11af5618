import type { KeyStore, KeyWithOrganisation } from '../../store'
import type { VerifyCache } from './cache'

/** What the read step found for a key ID (null: no such key), and when. */
export interface KeyRead {
  found: KeyWithOrganisation | null
  /** Epoch ms at which the cache's entry was read from the store; null when read just now. */
  checkedAt: number | null
  /**
   * True when `found` is the views memo's hint, not a read: the spend checks its versions, and
   * a refusal decided on it is confirmed by a read.
   */
  hinted?: boolean
}

/**
 * The read step: the key with its organisation, from `cache` when it holds a fresh entry, else
 * from the store. Answered at once (no promise) when it can be: a cache hit, or a store with
 * `getKeyWithOrganisationSync` that could answer without waiting (the memory store, SQLite on
 * its own connection). A promise only when the store had to be waited for. `now` is the
 * caller's clock reading, for the cache's freshness.
 */
export type ReadKey = (keyId: string, now: number) => KeyRead | Promise<KeyRead>

/**
 * The read step over `store`, through `cache` when there is one. Without a cache, from a store
 * that cannot answer at once, a key whose rules spend counters is answered from `hints` (the
 * records its last view was built from): its spend is a round trip anyway, and checks those
 * records' versions atomically, so one round trip does the read and the spend.
 */
export function keyReader(
  store: KeyStore,
  cache: VerifyCache | null,
  hints: (keyId: string) => KeyWithOrganisation | undefined,
): ReadKey {
  if (cache) return (keyId, now) => cache.read(keyId, now)
  const hinted = (keyId: string): KeyRead | undefined => {
    const found = hints(keyId)
    return found && { found, checkedAt: null, hinted: true }
  }
  const sync = store.getKeyWithOrganisationSync?.bind(store)
  const later = (keyId: string): Promise<KeyRead> =>
    store.getKeyWithOrganisation(keyId).then((found) => ({ found, checkedAt: null }))
  // A store that answers at once needs no hint: its read costs no round trip.
  if (!sync) return (keyId) => hinted(keyId) ?? later(keyId)
  return (keyId) => {
    const found: KeyWithOrganisation | null | undefined = sync(keyId)
    return found === undefined ? later(keyId) : { found, checkedAt: null }
  }
}
