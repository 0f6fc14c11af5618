import { resolveConfig } from '../core/config'
import { deepFreeze } from '../core/freeze'
import { toKey } from '../core/key-view'
import type { EffectiveConfig, Key, KeyRecord, Organisation } from '../core/types'
import type { VerifyView } from '../core/verify'

interface Memo {
  record: KeyRecord
  organisation: Organisation
  key: Key
  config: EffectiveConfig
  /** The view holds for `now` below this: the next expiry or end of a grace window. */
  until: number
  /** Whether `key` and `config` are the frozen views shared from now on. */
  shared: boolean
}

// The first instant after `now` at which the view of `record` changes by itself: its expiry,
// or the end of a live grace window (a retiring token drops out of the view).
function horizon(record: KeyRecord, now: number): number {
  let until = record.expiresAt ?? Number.POSITIVE_INFINITY
  for (const slot of [record.primary, record.secondary]) {
    const end = slot?.retiring?.until
    if (end !== undefined && end > now && end < until) until = end
  }
  return until
}

/** How many keys' views are kept by default: the hot ones. */
export const SHARED_VIEWS = 10_000

/**
 * Successful verifications of one stored record share one frozen view of the key and its
 * config, built once while it holds (until the key's expiry or the end of a grace window), so
 * a hot key verifies without rebuilding ~20 objects per call. A view is shared only for the
 * very record object it was built from, and only from the second time that object verifies:
 * the memory store and the verification cache hand out the same record until it is written
 * (any write makes a new one), while records read afresh from SQL or Redis are new objects
 * every time and get plain views, never paying for the freezing. At most `max` keys are
 * remembered: when full, the memo starts afresh (cheaper on every call than an LRU's
 * bookkeeping; hot keys are back after their next two verifications), so memory stays bounded
 * however many keys verify.
 */
export function sharedViews(max: number = SHARED_VIEWS): VerifyView {
  const memo = new Map<string, Memo>()
  return (record, organisation, now) => {
    const hit = memo.get(record.id)
    const same =
      hit !== undefined &&
      hit.record === record &&
      hit.organisation === organisation &&
      now < hit.until
    if (same && hit.shared) return hit
    const key = toKey(record, now)
    const config = resolveConfig(record, organisation)
    const built: Memo = same
      ? { ...hit, key: deepFreeze(key), config: deepFreeze(config), shared: true }
      : { record, organisation, key, config, until: horizon(record, now), shared: false }
    if (!same && memo.size >= max) memo.clear()
    memo.set(record.id, built)
    return built
  }
}
