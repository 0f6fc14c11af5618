import { effectiveState } from './expiry'
import type { Actor, KeyRecord } from './types'

/**
 * True when deactivating `record` by `actor` is subject to the lockout guard: an organisation
 * deactivating one of its standard keys. Admins are never guarded.
 */
export function isGuardedDeactivation(record: KeyRecord, actor: Actor): boolean {
  return actor.kind === 'organisation' && record.type === 'standard'
}

/** True when `record` keeps its organisation able to call the API: standard and active at `now`. */
export function keepsAccess(record: KeyRecord, now: number): boolean {
  return record.type === 'standard' && effectiveState(record, now) === 'active'
}
