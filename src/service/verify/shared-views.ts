import { effectiveConfig } from '../../core/config'
import { deepFreeze } from '../../core/freeze'
import { toKey } from '../../core/key-view'
import type { EffectiveConfig, Key, KeyRecord, Organisation } from '../../core/types'
import { spendsCounters, type UsageRules, usageRules } from '../../core/usage-control'
import type { KeyWithOrganisation } from '../../store'

/**
 * A key's public view and effective config, deep-frozen, as a success result carries them,
 * and its usage rules (parsed once per version: the allowed addresses are parsed text).
 */
export interface KeyView {
  readonly key: Key
  readonly config: EffectiveConfig
  readonly rules: UsageRules
}

/** The frozen view of `record` under `organisation` at `now`; see {@link sharedViews}. */
export type ViewOf = (record: KeyRecord, organisation: Organisation, now: number) => KeyView

/** The views memo: each key's view, and the records it was built from (see {@link sharedViews}). */
export interface SharedViews {
  view: ViewOf
  /**
   * The records a key's last view was built from, if its rules spend counters: a verification
   * may decide on them without reading the store, because its spend checks their versions
   * atomically (and a refusal is confirmed by a read). Undefined for any other key.
   */
  hint(keyId: string): KeyWithOrganisation | undefined
  /** Forgets a key (it was found changed or gone). */
  forget(keyId: string): void
}

interface Memo extends KeyView {
  found: KeyWithOrganisation
  version: number
  organisation: string
  organisationVersion: number
  /** The view holds for `now` below this: the next expiry or end of a grace window. */
  until: number
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

// A view's objects, frozen by name. Object.freeze costs ~60 ns an object in V8 (Node 20), and
// the generic deepFreeze, which lists every property of every object it meets, ~3.9 µs a view;
// the view's shape is known, so freezing it by name costs ~0.8 µs (measured with a key of one
// slot and no metadata). A view is built once per stored version, so a hot key never pays it.
// What the view shares with its record (metadata, limits, addresses) is frozen in place: the
// record is the store's answer to this read alone, or already frozen (the memory store's).
function freezeView(key: Key, config: EffectiveConfig): void {
  const freeze = Object.freeze
  freeze(key.config)
  freeze(key.permissions)
  freeze(key.primary)
  if (key.secondary) freeze(key.secondary)
  if (key.metadata) deepFreeze(key.metadata)
  if (key.rateLimits) deepFreeze(key.rateLimits)
  if (key.credits) deepFreeze(key.credits)
  if (key.allowedIps) freeze(key.allowedIps)
  freeze(key)
  for (const name in config) {
    const entry = config[name as keyof EffectiveConfig]
    freeze(entry)
    if (typeof entry.value === 'object' && entry.value !== null) deepFreeze(entry.value)
  }
  freeze(config)
}

/** How many keys' views are kept by default: the hot ones. */
export const SHARED_VIEWS = 10_000

/**
 * The key views of successful verifications (and the usage rules their checks read), built and
 * deep-frozen once per stored version of
 * a key and its organisation, and shared by every verification of that version while it holds
 * (until the key's expiry or the end of a grace window). A view is found by the key's ID and
 * checked against the record's `version` and the organisation's (every write bumps them, on
 * every store), so it does not matter whether a store hands out the same record objects (the
 * memory store, the cache) or new ones on every read (SQL, Redis): a hot key verifies without
 * rebuilding and refreezing ~20 objects per call, and every result is frozen alike.
 *
 * At most `max` keys are remembered: when full, the memo starts afresh (cheaper on every call
 * than an LRU's bookkeeping; hot keys are back after their next verification), so memory stays
 * bounded however many keys verify.
 */
export function sharedViews(max: number = SHARED_VIEWS): SharedViews {
  const memo = new Map<string, Memo>()
  const view: ViewOf = (record, organisation, now) => {
    const hit = memo.get(record.id)
    if (
      hit !== undefined &&
      hit.version === record.version &&
      hit.organisationVersion === organisation.version &&
      hit.organisation === organisation.id &&
      now < hit.until
    ) {
      return hit
    }
    const key = toKey(record, now)
    const config = effectiveConfig(record, organisation)
    freezeView(key, config)
    const built: Memo = {
      key,
      config,
      rules: usageRules(config, record.credits ?? null),
      found: { key: record, organisation },
      version: record.version,
      organisation: organisation.id,
      organisationVersion: organisation.version,
      until: horizon(record, now),
    }
    if (hit === undefined && memo.size >= max) memo.clear()
    memo.set(record.id, built)
    return built
  }
  return {
    view,
    hint(keyId) {
      const hit = memo.get(keyId)
      return hit !== undefined && spendsCounters(hit.rules) ? hit.found : undefined
    },
    forget: (keyId) => memo.delete(keyId),
  }
}
