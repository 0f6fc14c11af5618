import type { KeyStore, KeyWithOrganisation } from '../../store'
import type { VerifyCache } from './cache'

/** What the read step found for a key ID (null: no such key), and when. */
export interface KeyRead {
  found: KeyWithOrganisation | null
  /** Epoch ms at which the cache's entry was read from the store; null when read just now. */
  checkedAt: number | null
}

/**
 * The read step: the key with its organisation, from `cache` when it holds a fresh entry, else
 * from the store. Answered at once (no promise) when it can be: a cache hit, or a store with
 * `getKeyWithOrganisationSync` that could answer without waiting (the memory store, SQLite on
 * its own connection). A promise only when the store had to be waited for. `now` is the
 * caller's clock reading, for the cache's freshness.
 */
export type ReadKey = (keyId: string, now: number) => KeyRead | Promise<KeyRead>

/** The read step over `store`, through `cache` when there is one. */
export function keyReader(store: KeyStore, cache: VerifyCache | null): ReadKey {
  if (cache) return (keyId, now) => cache.read(keyId, now)
  const sync = store.getKeyWithOrganisationSync?.bind(store)
  const later = (keyId: string): Promise<KeyRead> =>
    store.getKeyWithOrganisation(keyId).then((found) => ({ found, checkedAt: null }))
  if (!sync) return later
  return (keyId) => {
    const found: KeyWithOrganisation | null | undefined = sync(keyId)
    return found === undefined ? later(keyId) : { found, checkedAt: null }
  }
}
