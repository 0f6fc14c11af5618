import { KeycycleError } from '../core/errors'
import type { KeyStore } from '../store'
import { withDeadline } from './deadline'

/**
 * Wraps a store so that every call settles within `timeoutMs` and rejects only with
 * `KeycycleError`: a fault of any other type becomes `unavailable`, with the original as
 * `cause`. A write that times out may still commit later; its outcome is unknown to the caller.
 */
export function guardStore(store: KeyStore, timeoutMs: number): KeyStore {
  const guarded = {} as Record<keyof KeyStore, unknown>
  for (const method of STORE_METHODS) {
    const call = store[method] as (...a: unknown[]) => Promise<unknown>
    guarded[method] = (...args: unknown[]) =>
      withDeadline(`store: ${method}`, timeoutMs, async () => call.apply(store, args))
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
