import { scheduledEvents } from '../core/schedule'
import type { Actor, KeyRecord, Organisation, SystemActor } from '../core/types'
import type { OutboxEvent } from '../store'
import type { NewId } from './deps'
import {
  type EventBase,
  eventBase,
  type KeycycleEvent,
  type OrganisationEventBase,
  organisationEventBase,
} from './events'

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

/** What writes record in the outbox with themselves; see {@link outboxEvents}. */
export interface OutboxEvents {
  /**
   * The outbox entries a key write records atomically with itself: the change's own event in
   * the key's stream at `seq` (the version the write produces), plus the clock events it
   * schedules (`key.expiring`, `key.grace_ended`), each in a stream of its own so a far-off
   * schedule never holds back the key's next change. `before` is the record the write replaces
   * (null for a new key; for a deletion, pass no schedules by giving `record` as `before`).
   * Undefined when this instance records no events.
   */
  key(
    actor: Actor | SystemActor,
    context: CommitContext,
    detail: EventDetail,
    before: KeyRecord | null,
    seq?: number,
  ): OutboxEvent[] | undefined
  /**
   * The outbox entry of something that happened to a key without a write of its record (a
   * spend that emptied its balance), in a stream of its own: a key's stream is ordered by the
   * versions its writes produce, and this has none of its own. Undefined when this instance
   * records no events.
   */
  keyHappening(
    actor: Actor | SystemActor,
    context: CommitContext,
    detail: EventDetail,
  ): OutboxEvent[] | undefined
  /** The outbox entry of an organisation write, in the organisation's stream at its version. */
  organisation(
    actor: Actor | SystemActor,
    organisation: Organisation,
    now: number,
    detail: OrganisationEventDetail,
  ): OutboxEvent[] | undefined
}

/**
 * The events this instance records: none unless `record` (see the `recordEvents` option);
 * `key.expiring` comes `leadMs` before a key's `expiresAt`.
 */
export function outboxEvents(record: boolean, leadMs: number, newId: NewId): OutboxEvents {
  return {
    key(actor, { record: written, organisation, now }, detail, before, seq = written.version) {
      if (!record) return undefined
      const subject = { kind: 'key' as const, id: written.id }
      const make = (at: number, rest: EventDetail) =>
        ({
          ...eventBase(newId('evt', now), at, actor, written, organisation),
          ...rest,
        }) as KeycycleEvent
      const change = make(now, detail)
      const out = [entry(change, subject, written.id, seq, now)]
      for (const { due, ...scheduled } of scheduledEvents(before, written, now, leadMs)) {
        const event = make(due, scheduled)
        out.push(entry(event, subject, event.id, seq, due))
      }
      return out
    },
    keyHappening(actor, { record: about, organisation, now }, detail) {
      if (!record) return undefined
      const event = {
        ...eventBase(newId('evt', now), now, actor, about, organisation),
        ...detail,
      } as KeycycleEvent
      return [entry(event, { kind: 'key', id: about.id }, event.id, about.version, now)]
    },
    organisation(actor, organisation, now, detail) {
      if (!record) return undefined
      const event = {
        ...organisationEventBase(newId('evt', now), now, actor, organisation),
        ...detail,
      } as KeycycleEvent
      const subject = { kind: 'organisation' as const, id: organisation.id }
      return [entry(event, subject, organisation.id, organisation.version, now)]
    },
  }
}
