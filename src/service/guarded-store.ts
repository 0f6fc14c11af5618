import { KeycycleError } from '../core/errors'
import type { CallOptions, KeyStore } from '../store'
import { FENCE_GRACE_MS, fault, isPromiseLike, untilDeadline } from '../store/deadline'

/**
 * Wraps a store so that every call carries its deadline and settles, and rejects only with
 * `KeycycleError`: a fault of any other type becomes `unavailable`, with the original as
 * `cause`. Each call gets `deadline` = now + `timeoutMs` (real clock) in its options. A read
 * settles by that deadline. A write is fenced by it (the store must not commit past it) and the
 * service waits for the store's own answer until the deadline plus {@link FENCE_GRACE_MS}, so a
 * write answered `unavailable` never commits afterwards on a store that keeps the port's fence
 * contract. The synchronous read, where the store has it, is passed through: its answer has
 * already come, so it needs no deadline; a throw from it becomes `unavailable` too.
 */
export function guardStore(store: KeyStore, timeoutMs: number): KeyStore {
  const read = <T>(what: string, call: (options: CallOptions) => Promise<T>): Promise<T> => {
    const deadline = Date.now() + timeoutMs
    return untilDeadline(`store: ${what}`, deadline, () => call({ deadline }))
  }
  const write = <T>(what: string, call: (options: CallOptions) => Promise<T>): Promise<T> => {
    const deadline = Date.now() + timeoutMs
    return untilDeadline(`store: ${what}`, deadline + FENCE_GRACE_MS, () => call({ deadline }))
  }
  const sync = store.getKeyWithOrganisationSync
  const guarded: KeyStore = {
    ...(store.kind === undefined ? {} : { kind: store.kind }),
    getKeyWithOrganisation: (id) =>
      read('getKeyWithOrganisation', (o) => store.getKeyWithOrganisation(id, o)),
    insertKey: (key, options) =>
      write('insertKey', (o) => store.insertKey(key, { ...options, ...o })),
    updateKey: (next, expected, options) =>
      write('updateKey', (o) => store.updateKey(next, expected, { ...options, ...o })),
    deleteKey: (id, expected, options) =>
      write('deleteKey', (o) => store.deleteKey(id, expected, { ...options, ...o })),
    countDigests: (now) => read('countDigests', (o) => store.countDigests(now, o)),
    listKeys: (query) => read('listKeys', (o) => store.listKeys(query, o)),
    listDueKeys: (query) => read('listDueKeys', (o) => store.listDueKeys(query, o)),
    getOrganisation: (id) => read('getOrganisation', (o) => store.getOrganisation(id, o)),
    insertOrganisation: (organisation, firstKey, options) =>
      write('insertOrganisation', (o) =>
        store.insertOrganisation(organisation, firstKey, { ...options, ...o }),
      ),
    updateOrganisation: (next, expected, options) =>
      write('updateOrganisation', (o) =>
        store.updateOrganisation(next, expected, { ...options, ...o }),
      ),
    // A spend changes counters: fenced as a write, so one answered `unavailable` never spends.
    spend: (request) => write('spend', (o) => store.spend(request, o)),
    readCounters: (ids) => read('readCounters', (o) => store.readCounters(ids, o)),
    claimEvents: (query) => read('claimEvents', (o) => store.claimEvents(query, o)),
    settleEvent: (event, settlement) =>
      read('settleEvent', (o) => store.settleEvent(event, settlement, o)),
    pruneEvents: (before, limit) => read('pruneEvents', (o) => store.pruneEvents(before, limit, o)),
    // Increments: fenced as a write, so a batch answered `unavailable` is never added later
    // (the service keeps it and adds it again).
    addUsage: (counts, options) =>
      write('addUsage', (o) => store.addUsage(counts, { ...options, ...o })),
    readUsage: (keyId, from, to) => read('readUsage', (o) => store.readUsage(keyId, from, to, o)),
    pruneUsage: (before, limit) => read('pruneUsage', (o) => store.pruneUsage(before, limit, o)),
  }
  if (sync) {
    guarded.getKeyWithOrganisationSync = (id) => {
      try {
        const answer: unknown = sync.call(store, id)
        if (!isPromiseLike(answer)) return answer as ReturnType<typeof sync>
        // A wrapper that made every method return a promise has no answer now: the async read
        // is asked instead, and this promise's outcome is dropped (never an unhandled rejection).
        answer.then(undefined, () => {})
        return undefined
      } catch (error) {
        throw fault('store: getKeyWithOrganisationSync', error)
      }
    }
  }
  const backlog = store.outboxBacklog
  if (backlog) {
    guarded.outboxBacklog = (now) => read('outboxBacklog', (o) => backlog.call(store, now, o))
  }
  const find = store.findKeyByImportedDigest
  if (find) {
    guarded.findKeyByImportedDigest = (hex) =>
      read('findKeyByImportedDigest', (o) => find.call(store, hex, o))
  }
  // The change channel is long-lived, not a call with a deadline: passed through as it is.
  if (store.watch) guarded.watch = store.watch.bind(store)
  return guarded
}

// The port's required methods, listed once so a store missing one is caught at construction.
const METHODS: Record<
  Exclude<
    keyof KeyStore,
    'kind' | 'watch' | 'getKeyWithOrganisationSync' | 'outboxBacklog' | 'findKeyByImportedDigest'
  >,
  true
> = {
  getKeyWithOrganisation: true,
  insertKey: true,
  updateKey: true,
  deleteKey: true,
  countDigests: true,
  listKeys: true,
  listDueKeys: true,
  getOrganisation: true,
  insertOrganisation: true,
  updateOrganisation: true,
  spend: true,
  readCounters: true,
  claimEvents: true,
  settleEvent: true,
  pruneEvents: true,
  addUsage: true,
  readUsage: true,
  pruneUsage: true,
}

/** Throws `validation` unless `store` implements every required method of the port. */
export function assertStore(store: unknown): asserts store is KeyStore {
  const missing = Object.keys(METHODS).filter(
    (method) => typeof (store as Record<string, unknown> | null)?.[method] !== 'function',
  )
  if (missing.length > 0) {
    throw new KeycycleError('validation', `store: missing method(s) ${missing.join(', ')}`, {
      details: { field: 'store' },
    })
  }
}
