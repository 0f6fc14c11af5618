import type { KeyStore, WriteOptions } from '../store'

/** What a write through {@link hookWrites} tells its hooks. */
export interface WriteHooks {
  /** Before the write runs, with the IDs of the records it touches. */
  before(ids: readonly string[]): void
  /**
   * After it settles: `committed` is true when it wrote, false when it wrote nothing (a lost
   * compare-and-set, a taken ID), null when it threw (its outcome may be unknown); `events`
   * says whether it carried outbox events.
   */
  after(ids: readonly string[], committed: boolean | null, events: boolean): void
}

/**
 * Wraps a store so that every write runs between two hooks, for the steps every write of this
 * instance shares: the verification cache forgets the records a write touches, before it runs
 * (so a fill racing it is refused) and after it settles (so the next verification here reads
 * the outcome); the dispatcher hears of each commit that recorded events, so it delivers them
 * without waiting for its next poll. Reads pass through unchanged.
 */
export function hookWrites(store: KeyStore, hooks: WriteHooks): KeyStore {
  const around = async (
    ids: string[],
    options: WriteOptions | undefined,
    write: () => Promise<boolean>,
  ): Promise<boolean> => {
    const events = (options?.events?.length ?? 0) > 0
    hooks.before(ids)
    let committed: boolean | null = null
    try {
      committed = await write()
      return committed
    } finally {
      hooks.after(ids, committed, events)
    }
  }
  const hooked: KeyStore = {
    getKeyWithOrganisation: (id, o) => store.getKeyWithOrganisation(id, o),
    countDigests: (now, o) => store.countDigests(now, o),
    listKeys: (query, o) => store.listKeys(query, o),
    listDueKeys: (query, o) => store.listDueKeys(query, o),
    getOrganisation: (id, o) => store.getOrganisation(id, o),
    readCounters: (ids, o) => store.readCounters(ids, o),
    // A spend writes counters, not records: nothing to forget, but the events of a spend that
    // emptied a balance were recorded with it.
    spend: async (request, o) => {
      const answer = await store.spend(request, o)
      if (!answer.stale && answer.outcome === 'spent' && answer.emptied) hooks.after([], true, true)
      return answer
    },
    claimEvents: (query, o) => store.claimEvents(query, o),
    settleEvent: (event, settlement, o) => store.settleEvent(event, settlement, o),
    pruneEvents: (before, limit, o) => store.pruneEvents(before, limit, o),
    // Usage counts are no record: nothing cached depends on them.
    addUsage: (counts, o) => store.addUsage(counts, o),
    readUsage: (keyId, from, to, o) => store.readUsage(keyId, from, to, o),
    pruneUsage: (before, limit, o) => store.pruneUsage(before, limit, o),
    insertKey: (key, options) => around([key.id], options, () => store.insertKey(key, options)),
    updateKey: (next, expected, options) =>
      around([next.id], options, () => store.updateKey(next, expected, options)),
    deleteKey: (id, expected, options) =>
      around([id], options, () => store.deleteKey(id, expected, options)),
    insertOrganisation: (organisation, firstKey, options) =>
      around([organisation.id, firstKey.id], options, () =>
        store.insertOrganisation(organisation, firstKey, options),
      ),
    updateOrganisation: (next, expected, options) =>
      around([next.id], options, () => store.updateOrganisation(next, expected, options)),
  }
  if (store.getKeyWithOrganisationSync) {
    hooked.getKeyWithOrganisationSync = store.getKeyWithOrganisationSync.bind(store)
  }
  if (store.findKeyByImportedDigest) {
    hooked.findKeyByImportedDigest = store.findKeyByImportedDigest.bind(store)
  }
  if (store.watch) hooked.watch = store.watch.bind(store)
  return hooked
}
