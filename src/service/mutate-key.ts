import type { Actor, KeyRecord, Organisation, SystemActor } from '../core/types'
import type { KeyStore } from '../store'
import type { CompareAndSet } from './compare-and-set'
import type { EventDetail, OutboxEvents } from './emit'
import { loadKey } from './reach'

/** One committed (or deliberately skipped) change of a key. */
export interface Committed<R> {
  /** The record as read by the attempt that decided. */
  before: KeyRecord
  /** The record written, or `before` when nothing was written. */
  record: KeyRecord
  organisation: Organisation
  /** The instant the decision was made at. */
  now: number
  result: R
  written: boolean
}

type Found = { key: KeyRecord; organisation: Organisation }

/** What one attempt decided: the record to write, the caller's result, and the event to record. */
export interface KeyDecision<R> {
  record: KeyRecord
  result: R
  /** Absent for a write that is no change to announce (last-used times). */
  event?: EventDetail
}

/**
 * Read a key, decide, compare-and-set; each attempt decides afresh on what it read. `decide`
 * returns null to write nothing. The decided event (and the clock events the new record
 * schedules) is recorded in the outbox by the same atomic write. Rejects with `not_found` for a
 * key the actor cannot reach, `conflict` when every attempt lost.
 */
export type MutateKey = <R>(
  id: string,
  actor: Actor | SystemActor,
  decide: (found: Found, now: number) => KeyDecision<R> | null,
) => Promise<Committed<R>>

/** The one read-decide-write cycle of a key, over `store`. */
export function keyMutation(
  store: KeyStore,
  compareAndSet: CompareAndSet,
  events: OutboxEvents,
): MutateKey {
  return async (id, actor, decide) => {
    const outcome = await compareAndSet(`key ${id}`, {
      read: () => loadKey(store, id, actor),
      decide: (found: Found, now) => {
        const decision = decide(found, now)
        return decision && { write: decision, expectedVersion: found.key.version }
      },
      write: ({ record, event }, expected, found, now) => {
        const context = { record, organisation: found.organisation, now }
        const recorded = event && events.key(actor, context, event, found.key)
        return store.updateKey(record, expected, recorded && { events: recorded })
      },
    })
    const { decision } = outcome
    return {
      before: outcome.current.key,
      record: decision?.record ?? outcome.current.key,
      organisation: outcome.current.organisation,
      now: outcome.now,
      result: decision?.result as never,
      written: outcome.written,
    }
  }
}
