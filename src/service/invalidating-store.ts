import type { KeyStore } from '../store'
import { STORE_METHODS } from './guarded-store'
import type { VerifyCache } from './verify-cache'

/**
 * Wraps a store so that every write through this instance invalidates the records it touches
 * in `cache`, before it runs (so a fill racing it is refused) and after it settles (so the next
 * verification here reads the outcome): the revocation bound holds at once on the writer.
 */
export function invalidatingStore(store: KeyStore, cache: VerifyCache): KeyStore {
  const around = async <T>(ids: string[], write: () => Promise<T>): Promise<T> => {
    for (const id of ids) cache.invalidate(id)
    try {
      return await write()
    } finally {
      for (const id of ids) cache.invalidate(id)
    }
  }
  return {
    ...bindAll(store),
    insertKey: (key, options) => around([key.id], () => store.insertKey(key, options)),
    updateKey: (next, expected, options) =>
      around([next.id], () => store.updateKey(next, expected, options)),
    deleteKey: (id, expected, options) =>
      around([id], () => store.deleteKey(id, expected, options)),
    insertOrganisation: (organisation, firstKey, options) =>
      around([organisation.id, firstKey.id], () =>
        store.insertOrganisation(organisation, firstKey, options),
      ),
    updateOrganisation: (next, expected, options) =>
      around([next.id], () => store.updateOrganisation(next, expected, options)),
  }
}

// The store's methods bound to it, so the wrapper can pass reads through unchanged.
function bindAll(store: KeyStore): KeyStore {
  const bound: Record<string, unknown> = {}
  for (const name of STORE_METHODS) bound[name] = store[name].bind(store)
  if (store.watch) bound.watch = store.watch.bind(store)
  return bound as unknown as KeyStore
}
