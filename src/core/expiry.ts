import type { KeyRecord, KeyState, SlotRecord } from './types'

/** States that the clock can turn into `expired`. A blocked key stays blocked: the admin wins. */
export const EXPIRABLE_STATES: readonly KeyState[] = ['active', 'deactivated']

/**
 * The state a key is in at `now` (epoch ms). Expiry is exact: a record whose `expiresAt` is
 * ≤ `now` is expired whether or not a sweep has written that yet.
 */
export function effectiveState(
  record: Pick<KeyRecord, 'state' | 'expiresAt'>,
  now: number,
): KeyState {
  return isDue(record, now) ? 'expired' : record.state
}

/** True when the stored state is still expirable but the expiry time has been reached. */
export function isDue(record: Pick<KeyRecord, 'state' | 'expiresAt'>, now: number): boolean {
  return (
    EXPIRABLE_STATES.includes(record.state) && record.expiresAt !== null && record.expiresAt <= now
  )
}

/** A retiring token's deadline is never later than the key's own expiry. */
export function capRetiring(slot: SlotRecord, expiresAt: number | null): SlotRecord {
  if (slot.retiring === null || expiresAt === null || slot.retiring.until <= expiresAt) return slot
  return { ...slot, retiring: { ...slot.retiring, until: expiresAt } }
}

/** Applies {@link capRetiring} to both slots of a record. */
export function capRetiringSlots<T extends Pick<KeyRecord, 'primary' | 'secondary' | 'expiresAt'>>(
  record: T,
): T {
  return {
    ...record,
    primary: capRetiring(record.primary, record.expiresAt),
    secondary: record.secondary && capRetiring(record.secondary, record.expiresAt),
  }
}
