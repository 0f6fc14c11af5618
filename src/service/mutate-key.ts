import type { Actor, KeyRecord, Organisation, SystemActor } from '../core/types'
import { compareAndSet } from './compare-and-set'
import { type EventDetail, keyEvents } from './emit'
import { loadKey } from './reach'
import type { Runtime } from './runtime'

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
 * Read a key, decide, compare-and-set (see {@link compareAndSet}); each attempt decides afresh on
 * what it read. `decide` returns null to write nothing. The decided event (and the clock events
 * the new record schedules) is recorded in the outbox by the same atomic write. Throws
 * `not_found` for a key the actor cannot reach, `conflict` when every attempt lost.
 */
export async function mutateKey<R>(
  rt: Runtime,
  id: string,
  actor: Actor | SystemActor,
  decide: (found: Found, now: number) => KeyDecision<R> | null,
): Promise<Committed<R>> {
  const outcome = await compareAndSet(rt, `key ${id}`, {
    read: () => loadKey(rt, id, actor),
    decide: (found: Found, now) => {
      const decision = decide(found, now)
      return decision && { write: decision, expectedVersion: found.key.version }
    },
    write: ({ record, event }, expected, found, now) => {
      const context = { record, organisation: found.organisation, now }
      const events = event && keyEvents(rt, actor, context, event, found.key)
      return rt.store.updateKey(record, expected, events && { events })
    },
  })
  const { decision } = outcome
  if (decision?.event) rt.events.committed()
  return {
    before: outcome.current.key,
    record: decision?.record ?? outcome.current.key,
    organisation: outcome.current.organisation,
    now: outcome.now,
    result: decision?.result as R,
    written: outcome.written,
  }
}
