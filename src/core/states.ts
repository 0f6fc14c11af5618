import { touch } from './audit'
import { KeycycleError } from './errors'
import { effectiveState, isDue } from './expiry'
import type { Actor, ActorKind, KeyRecord, KeyState, SystemActor } from './types'

/** The calls that move a key between states. */
export type KeyAction = 'deactivate' | 'activate' | 'block' | 'unblock' | 'expire' | 'extend'

export interface TransitionRule {
  /** Effective states the action starts from (for `expire`: stored states, and the key is due). */
  from: readonly KeyState[]
  to: KeyState
  actors: readonly (ActorKind | 'system')[]
}

/** The state table of `docs/decisions.md#states` as data. Anything not listed here is refused. */
export const STATE_TABLE: Readonly<Record<KeyAction, TransitionRule>> = {
  deactivate: { from: ['active'], to: 'deactivated', actors: ['organisation', 'admin'] },
  activate: { from: ['deactivated'], to: 'active', actors: ['organisation', 'admin'] },
  block: { from: ['active', 'deactivated'], to: 'blocked', actors: ['admin'] },
  unblock: { from: ['blocked'], to: 'active', actors: ['admin'] },
  expire: { from: ['active', 'deactivated'], to: 'expired', actors: ['system'] },
  extend: { from: ['expired'], to: 'active', actors: ['admin'] },
}

/** The result of a transition: the record to write and the effective states either side. */
export interface Transition {
  record: KeyRecord
  from: KeyState
  to: KeyState
}

function refuse(
  code: 'forbidden' | 'invalid_transition',
  action: KeyAction,
  from: KeyState,
  to: KeyState,
  actor: Actor | SystemActor,
): KeycycleError {
  const who = actor.kind === 'system' ? 'the system' : `an ${actor.kind} actor`
  const reason = code === 'forbidden' ? 'is not allowed to' : 'cannot'
  return new KeycycleError(code, `${who} ${reason} ${action} a key: ${from} → ${to}`, {
    details: { from, to, actor: actor.kind },
  })
}

/**
 * Applies one row of the state table at `now`. Throws `forbidden` when the actor may never take
 * this action and `invalid_transition` when the key's effective state does not allow it; both
 * name from, to and actor. `extend` takes the new `expiresAt` (future epoch ms, or null for no
 * expiry). Blocking kills retiring tokens in both slots at once. Ownership is checked by the caller.
 */
export function transition(
  record: KeyRecord,
  action: KeyAction,
  actor: Actor | SystemActor,
  now: number,
  expiresAt?: number | null,
): Transition {
  const rule = STATE_TABLE[action]
  const from =
    action === 'expire' && isDue(record, now) ? record.state : effectiveState(record, now)
  if (!rule.actors.includes(actor.kind)) throw refuse('forbidden', action, from, rule.to, actor)
  const allowed = rule.from.includes(from) && (action !== 'expire' || isDue(record, now))
  if (!allowed) throw refuse('invalid_transition', action, from, rule.to, actor)

  let next: KeyRecord = { ...touch(record, actor, now), state: rule.to }
  if (action === 'block') {
    next.primary = { ...next.primary, retiring: null }
    next.secondary = next.secondary && { ...next.secondary, retiring: null }
  }
  if (action === 'extend') {
    if (expiresAt === undefined || (expiresAt !== null && expiresAt <= now)) {
      throw new KeycycleError('validation', 'expiresAt: extending needs a future time or null', {
        details: { field: 'expiresAt' },
      })
    }
    next = { ...next, expiresAt }
  }
  // An unblocked key whose date passed while blocked is expired at once; report what holds now.
  return { record: next, from, to: effectiveState(next, now) }
}
