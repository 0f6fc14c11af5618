import type { KeyStore } from '../../src/store'

/** Wraps a store and counts every call made to it, by method. */
export function countingStore(inner: KeyStore): KeyStore & { calls: () => number } {
  let calls = 0
  const wrapped = {} as Record<string, unknown>
  for (const method of Object.keys(inner) as (keyof KeyStore)[]) {
    const fn = inner[method]
    if (typeof fn !== 'function') continue
    wrapped[method] = (...args: unknown[]) => {
      calls++
      return (fn as (...a: unknown[]) => unknown).apply(inner, args)
    }
  }
  return Object.assign(wrapped as unknown as KeyStore, { calls: () => calls })
}
