import { resolveConfig } from '../core/config'
import { toKey } from '../core/key-view'
import type {
  Actor,
  ConfigId,
  Key,
  KeyRecord,
  KeyState,
  Organisation,
  Slot,
  SystemActor,
} from '../core/types'

export interface EventBase {
  /** `evt_` + ULID, unique per event: a delivery idempotency key. */
  id: string
  /** Epoch ms of the commit, from the injected clock. */
  at: number
  actor: Actor | SystemActor
  /** The key after the change. Never carries a token. */
  key: Key
  /** The key's effective webhook configuration: where the host should deliver this event. */
  webhookConfig: ConfigId | null
}

/**
 * Emitted once per committed change (SPEC §5). A write that changes the key's state emits
 * `key.state_changed` (or `key.expired` from the sweep); other updates emit `key.updated`.
 */
export type KeycycleEvent =
  | (EventBase & { type: 'key.created' })
  | (EventBase & { type: 'key.updated'; changed: string[] })
  | (EventBase & { type: 'key.rotated'; slot: Slot; force: boolean; graceEndsAt: number | null })
  | (EventBase & { type: 'key.regenerated'; slot: Slot })
  | (EventBase & { type: 'key.state_changed'; from: KeyState; to: KeyState })
  | (EventBase & { type: 'key.expired'; from: KeyState })
  /** The key as it was before it was deleted. */
  | (EventBase & { type: 'key.deleted' })

export type KeycycleEventType = KeycycleEvent['type']

/** The fields every event shares, for a change committed at `now`. */
export function eventBase(
  id: string,
  now: number,
  actor: Actor | SystemActor,
  record: KeyRecord,
  organisation: Organisation,
): EventBase {
  return {
    id,
    at: now,
    actor,
    key: toKey(record, now),
    webhookConfig: resolveConfig(record, organisation).webhookConfig.value,
  }
}
