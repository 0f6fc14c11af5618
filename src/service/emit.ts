import type { Actor, KeyRecord, Organisation, SystemActor } from '../core/types'
import { type EventBase, eventBase, type KeycycleEvent } from './events'
import { generateId } from './minting'
import type { Runtime } from './runtime'

/** What an event is about: the committed record, its organisation, and the commit time. */
export interface CommitContext {
  record: KeyRecord
  organisation: Organisation
  now: number
}

/** The part of an event specific to its type. */
export type EventDetail = KeycycleEvent extends infer E
  ? E extends unknown
    ? Omit<E, keyof EventBase>
    : never
  : never

/**
 * Announces a committed change to `onEvent`. The shared fields (ID, time, key view, effective
 * webhook config) are only built when the host listens. A throwing handler never fails or
 * undoes the committed call: its error goes to `onEventError`.
 */
export async function emit(
  rt: Runtime,
  actor: Actor | SystemActor,
  { record, organisation, now }: CommitContext,
  detail: EventDetail,
): Promise<void> {
  const { onEvent, onEventError } = rt.events
  if (!onEvent) return
  const event = {
    ...eventBase(generateId(rt, 'evt', now), now, actor, record, organisation),
    ...detail,
  } as KeycycleEvent
  try {
    await onEvent(event)
  } catch (error) {
    onEventError(error, event)
  }
}
