/**
 * Freezes `value` and everything reachable from it, in place, and returns it. Objects already
 * frozen are taken to be deep-frozen and skipped (so a shared sub-tree is walked once). For
 * records handed out to many readers at once: the memory store's, a cache's, a shared view.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const inner of Object.values(value)) deepFreeze(inner)
  }
  return value
}
