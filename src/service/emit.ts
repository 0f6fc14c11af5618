import { scheduledEvents } from '../core/schedule'
import type { Actor, KeyRecord, Organisation, SystemActor } from '../core/types'
import type { OutboxEvent } from '../store'
import {
  type EventBase,
  eventBase,
  type KeycycleEvent,
  type OrganisationEventBase,
  organisationEventBase,
} from './events'
import { generateId } from './minting'
import type { Runtime } from './runtime'

/** What a key event is about: the record as written, its organisation, and the commit time. */
export interface CommitContext {
  record: KeyRecord
  organisation: Organisation
  now: number
}

type Detail<E, B> = E extends unknown ? Omit<E, keyof B> : never

/** The part of a `key.*` event specific to its type. */
export type EventDetail = Detail<Extract<KeycycleEvent, EventBase>, EventBase>

/** The part of an `organisation.*` event specific to its type. */
export type OrganisationEventDetail = Detail<
  Exclude<KeycycleEvent, EventBase>,
  OrganisationEventBase
>

// One outbox entry for `event`, about `subject`, in `stream` at `seq`.
function entry(
  event: KeycycleEvent,
  subject: OutboxEvent['subject'],
  stream: string,
  seq: number,
  availableAt: number,
): OutboxEvent {
  return { id: event.id, subject, stream, seq, availableAt, body: JSON.stringify(event) }
}

/**
 * The outbox entries a key write records atomically with itself (SPEC §5): the change's own
 * event in the key's stream at `seq` (the version the write produces), plus the clock events
 * it schedules (`key.expiring`, `key.grace_ended`), each in a stream of its own so a far-off
 * schedule never holds back the key's next change. `before` is the record the write replaces
 * (null for a new key; for a deletion, pass no schedules by giving `record` as `before`).
 * Undefined when this instance records no events.
 */
export function keyEvents(
  rt: Runtime,
  actor: Actor | SystemActor,
  { record, organisation, now }: CommitContext,
  detail: EventDetail,
  before: KeyRecord | null,
  seq: number = record.version,
): OutboxEvent[] | undefined {
  if (!rt.events.record) return undefined
  const subject = { kind: 'key' as const, id: record.id }
  const make = (at: number, rest: EventDetail) =>
    ({
      ...eventBase(generateId(rt, 'evt', now), at, actor, record, organisation),
      ...rest,
    }) as KeycycleEvent
  const change = make(now, detail)
  const out = [entry(change, subject, record.id, seq, now)]
  for (const { due, ...scheduled } of scheduledEvents(before, record, now, rt.events.leadMs)) {
    const event = make(due, scheduled)
    out.push(entry(event, subject, event.id, seq, due))
  }
  return out
}

/** The outbox entry of an organisation write, in the organisation's stream at its version. */
export function organisationEvents(
  rt: Runtime,
  actor: Actor | SystemActor,
  organisation: Organisation,
  now: number,
  detail: OrganisationEventDetail,
): OutboxEvent[] | undefined {
  if (!rt.events.record) return undefined
  const event = {
    ...organisationEventBase(generateId(rt, 'evt', now), now, actor, organisation),
    ...detail,
  } as KeycycleEvent
  const subject = { kind: 'organisation' as const, id: organisation.id }
  return [entry(event, subject, organisation.id, organisation.version, now)]
}
