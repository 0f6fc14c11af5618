import type { KeyStore } from '../../src/store'

const WRITES = new Set([
  'insertKey',
  'updateKey',
  'deleteKey',
  'insertOrganisation',
  'updateOrganisation',
])

/** Wraps a store and counts every call made to it, and the writes among them by method. */
export function countingStore(inner: KeyStore): KeyStore & {
  calls: () => number
  writes: () => Record<string, number>
} {
  let calls = 0
  const writes: Record<string, number> = {}
  const wrapped = {} as Record<string, unknown>
  for (const method of Object.keys(inner) as (keyof KeyStore)[]) {
    const fn = inner[method]
    if (typeof fn !== 'function') continue
    wrapped[method] = (...args: unknown[]) => {
      calls++
      if (WRITES.has(method)) writes[method] = (writes[method] ?? 0) + 1
      return (fn as (...a: unknown[]) => unknown).apply(inner, args)
    }
  }
  return Object.assign(wrapped as unknown as KeyStore, {
    calls: () => calls,
    writes: () => ({ ...writes }),
  })
}
