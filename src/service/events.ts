import { effectiveConfig } from '../core/config'
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

/** The fields every event shares. */
export interface EventEnvelope {
  /** `evt_` + ULID, unique per event and stable across redeliveries: deduplicate on it. */
  id: string
  /** Epoch ms of the commit (or, for a clock event, the instant it is about), injected clock. */
  at: number
  actor: Actor | SystemActor
  /**
   * The effective webhook configuration (override resolution, `docs/decisions.md#configuration-overrides`) of the key, or the
   * organisation's own for `organisation.*` events: where the host delivers this event.
   */
  webhookConfig: ConfigId | null
}

/** The fields of every `key.*` event. */
export interface EventBase extends EventEnvelope {
  /** The key after the change (before it, for `key.deleted`). Never carries a token. */
  key: Key
}

/** The fields of every `organisation.*` event. */
export interface OrganisationEventBase extends EventEnvelope {
  /** The organisation after the change. */
  organisation: Organisation
}

/**
 * Delivered at least once per committed change (`docs/decisions.md#events-and-the-outbox`), from the durable outbox. A write
 * that changes the key's state emits `key.state_changed` (or `key.expired` from the sweep);
 * other updates emit `key.updated`. The clock produces `key.expiring` (`expiringLeadMs` before
 * `expiresAt`, once per expiry time) and `key.grace_ended` (a retiring token stopped working).
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
  /** `key.expiresAt` is `expiresAt`, at most `expiringLeadMs` away. */
  | (EventBase & { type: 'key.expiring'; expiresAt: number })
  /** The retiring token of `slot` stopped working at `endedAt` (its grace period ended). */
  | (EventBase & { type: 'key.grace_ended'; slot: Slot; endedAt: number })
  /**
   * A verification spent the key's last credit (once per time its balance reaches 0, recorded
   * with that spend). `refillAt`: when the balance is set again, or null without a refill.
   */
  | (EventBase & { type: 'key.credits_exhausted'; refillAt: number | null })
  /**
   * A token of the key was found in public (GitHub secret scanning): which one (`slot`,
   * `which`), where (`url`, `source`, as GitHub reported them; null when it sent none), and
   * what was done: `revoked` (this report stopped it), `already_revoked` (an earlier one did),
   * or `reported` (the `notify` policy: it still works). Never carries the token.
   */
  | (EventBase & {
      type: 'key.leaked'
      slot: Slot
      which: 'current' | 'retiring'
      outcome: LeakOutcome
      url: string | null
      source: string | null
    })
  /**
   * An admin read back the current token of the key's `slot` (`revealKey`; the admin's ID is
   * `actor.id`). Never carries the token.
   */
  | (EventBase & { type: 'key.revealed'; slot: Slot })
  | (OrganisationEventBase & { type: 'organisation.created' })
  | (OrganisationEventBase & { type: 'organisation.updated'; changed: string[] })

export type KeycycleEventType = KeycycleEvent['type']

/** What a report of a leaked token did (see `key.leaked`). */
export type LeakOutcome = 'revoked' | 'already_revoked' | 'reported'

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
    webhookConfig: effectiveConfig(record, organisation).webhookConfig.value,
  }
}

/** The fields every `organisation.*` event shares, for a change committed at `now`. */
export function organisationEventBase(
  id: string,
  now: number,
  actor: Actor | SystemActor,
  organisation: Organisation,
): OrganisationEventBase {
  return { id, at: now, actor, organisation, webhookConfig: organisation.webhookConfig }
}
