import { KeycycleError } from '../core/errors'
import { dueClause } from '../core/filters'
import { parseDeactivateOptions, requireKeyId } from '../core/inputs'
import { toKey } from '../core/key-view'
import { type KeyAction, transition } from '../core/states'
import type { Actor, Key, SystemActor } from '../core/types'
import { readInteger, readObject } from '../core/validate'
import { guardLockout } from './lockout-guard'
import { mutateKey } from './mutate-key'
import type { Runtime } from './runtime'

async function commitTransition(
  rt: Runtime,
  id: string,
  action: KeyAction,
  actor: Actor | SystemActor,
): Promise<Key> {
  const done = await mutateKey(rt, id, actor, ({ key }, now) => {
    const { record, from, to } = transition(key, action, actor, now)
    return {
      record,
      result: null,
      event:
        action === 'expire'
          ? { type: 'key.expired', from }
          : { type: 'key.state_changed', from, to },
    }
  })
  return toKey(done.record, done.now)
}

/** Runs a transition for an organisation or admin actor and emits `key.state_changed`. */
export async function changeState(
  rt: Runtime,
  actor: Actor,
  id: unknown,
  action: KeyAction,
): Promise<Key> {
  return commitTransition(rt, requireKeyId(id), action, actor)
}

/** Options of `deactivateKey`. */
export interface DeactivateOptions {
  /** Allow an organisation to deactivate its last active standard key. Default false. */
  allowLockout?: boolean
}

/**
 * Deactivates a key. An organisation may not deactivate its last active standard key unless
 * `allowLockout` is set (`lockout` error), checked before and after the write (see
 * {@link guardLockout}), so the invariant holds on every store.
 */
export async function deactivateKey(
  rt: Runtime,
  who: Actor,
  keyId: unknown,
  options: DeactivateOptions | undefined,
): Promise<Key> {
  const id = requireKeyId(keyId)
  const { allowLockout } = parseDeactivateOptions(options, who)
  const done = await guardLockout(
    rt,
    who,
    id,
    { allowLockout, action: 'deactivate' },
    async () => {
      const done = await mutateKey(rt, id, who, ({ key }, now) => {
        const { record, from, to } = transition(key, 'deactivate', who, now)
        return { record, result: null, event: { type: 'key.state_changed', from, to } }
      })
      return { before: done.before, result: done }
    },
    () => undoDeactivation(rt, id, who),
  )
  return toKey(done.record, done.now)
}

// Re-activates a key this call deactivated; skipped if someone else has moved it since. The
// deactivation committed and its event is recorded, so the undo records its own.
async function undoDeactivation(rt: Runtime, id: string, actor: Actor): Promise<void> {
  await mutateKey(rt, id, actor, ({ key }, now) => {
    if (key.state !== 'deactivated') return null
    const { record, from, to } = transition(key, 'activate', actor, now)
    return { record, result: null, event: { type: 'key.state_changed', from, to } }
  })
}

/** Options of `expireDue`. */
export interface ExpireDueOptions {
  /** Most keys to expire in this call, 1–1000. Default 100. */
  limit?: number
}

/**
 * Persists `expired` on keys whose `expiresAt` has passed and emits `key.expired` for each.
 * Verification never waits for this: expiry is exact at read time. Returns how many keys this
 * call expired; a key another sweep expired first is not counted twice.
 */
export async function expireDue(rt: Runtime, options?: ExpireDueOptions): Promise<number> {
  const opts = readObject(options ?? {}, 'options', ['limit'])
  const limit = opts.limit === undefined ? 100 : readInteger(opts.limit, 'limit', 1, 1000)
  const due = await rt.store.listDueKeys({ clause: dueClause(rt.now()), limit })
  const system: SystemActor = { kind: 'system' }
  let count = 0
  for (const candidate of due) {
    try {
      await commitTransition(rt, candidate.id, 'expire', system)
      count++
    } catch (error) {
      // Extended, blocked or expired by someone else since the query: nothing left to do.
      if (!(error instanceof KeycycleError && error.code === 'invalid_transition')) throw error
    }
  }
  return count
}
