import { KeycycleError } from '../core/errors'
import type { KeyStore } from '../store'
import { fault, isPromiseLike, withDeadline } from './deadline'

/**
 * How long the service waits past a write's fence for the store's own answer (a server-side
 * timeout starts a little after ours), before it answers `unavailable` itself.
 */
export const FENCE_GRACE_MS = 1000

// The writes, each with the position of its WriteOptions argument.
const WRITES: Partial<Record<keyof KeyStore, number>> = {
  insertKey: 1,
  updateKey: 2,
  deleteKey: 2,
  insertOrganisation: 2,
  updateOrganisation: 2,
}

/**
 * Wraps a store so that every call settles and rejects only with `KeycycleError`: a fault of
 * any other type becomes `unavailable`, with the original as `cause`. Reads settle within
 * `timeoutMs`; a read the store answers synchronously (an in-memory store's verification read)
 * is passed through as it is. Writes are fenced (SPEC §7): each carries `deadline` = now + `timeoutMs` (real
 * clock) in its options, the store must not commit past it, and the service waits for the
 * store's answer until the deadline plus {@link FENCE_GRACE_MS}; so a write answered
 * `unavailable` never commits afterwards on a store that keeps the port's fence contract.
 */
export function guardStore(store: KeyStore, timeoutMs: number): KeyStore {
  const guarded = {} as Record<keyof KeyStore, unknown>
  for (const method of STORE_METHODS) {
    const call = store[method] as (...a: unknown[]) => Promise<unknown>
    const at = WRITES[method]
    const what = `store: ${method}`
    guarded[method] =
      at === undefined
        ? (...args: unknown[]) => {
            let answer: unknown
            try {
              answer = call.apply(store, args)
            } catch (error) {
              return Promise.reject(fault(what, error))
            }
            // An answer given synchronously (a store in memory) has already come: no deadline.
            if (!isPromiseLike(answer)) return answer
            return withDeadline(what, timeoutMs, () => answer as Promise<unknown>)
          }
        : (...args: unknown[]) => {
            const deadline = Date.now() + timeoutMs
            const fenced = [...args]
            fenced[at] = { ...(args[at] as object | undefined), deadline }
            return withDeadline(what, timeoutMs + FENCE_GRACE_MS, async () =>
              call.apply(store, fenced),
            )
          }
  }
  // The change channel is long-lived, not a call with a deadline: passed through as it is.
  if (store.watch) guarded.watch = store.watch.bind(store)
  return guarded as unknown as KeyStore
}

// The port's required methods, listed once so a store missing one is caught at construction.
const METHODS: Record<Exclude<keyof KeyStore, 'watch'>, true> = {
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
  claimEvents: true,
  settleEvent: true,
  pruneEvents: true,
}

/** The names of the port's required methods. */
export const STORE_METHODS = Object.keys(METHODS) as Exclude<keyof KeyStore, 'watch'>[]

/** Throws `validation` unless `store` implements every method of the port. */
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
