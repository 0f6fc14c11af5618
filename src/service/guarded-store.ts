import { KeycycleError } from '../core/errors'
import type { KeyStore } from '../store'

function withDeadline<T>(work: Promise<T>, method: string, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new KeycycleError(
            'unavailable',
            `store: ${method} did not answer within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    )
    // A pending deadline must not keep a host process alive on its own.
    ;(timer as { unref?: () => void }).unref?.()
  })
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer))
}

function asUnavailable(error: unknown, method: string): KeycycleError {
  if (error instanceof KeycycleError) return error
  return new KeycycleError('unavailable', `store: ${method} failed`, { cause: error })
}

/**
 * Wraps a store so that every call settles within `timeoutMs` and rejects only with
 * `KeycycleError`: a fault of any other type becomes `unavailable`, with the original as
 * `cause`. A write that times out may still commit later; its outcome is unknown to the caller.
 */
export function guardStore(store: KeyStore, timeoutMs: number): KeyStore {
  const guarded = {} as Record<keyof KeyStore, unknown>
  for (const method of Object.keys(METHODS) as (keyof KeyStore)[]) {
    guarded[method] = async (...args: unknown[]) => {
      try {
        const call = (store[method] as (...a: unknown[]) => Promise<unknown>).apply(store, args)
        return await withDeadline(Promise.resolve(call), method, timeoutMs)
      } catch (error) {
        throw asUnavailable(error, method)
      }
    }
  }
  return guarded as unknown as KeyStore
}

// The port's methods, listed once so a store missing one is caught at construction.
const METHODS: Record<keyof KeyStore, true> = {
  getKeyWithOrganisation: true,
  insertKey: true,
  updateKey: true,
  listKeys: true,
  listDueKeys: true,
  getOrganisation: true,
  insertOrganisation: true,
  updateOrganisation: true,
}

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
