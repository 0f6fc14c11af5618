import { KeycycleError } from '../core/errors'
import { dueClause, stateFilter } from '../core/filters'
import { parseDeactivateOptions, requireKeyId } from '../core/inputs'
import { toKey } from '../core/key-view'
import { isGuardedDeactivation, keepsAccess } from '../core/lockout'
import { type KeyAction, transition } from '../core/states'
import type { Actor, Key, SystemActor } from '../core/types'
import { readInteger, readObject } from '../core/validate'
import { emit } from './emit'
import { mutateKey } from './mutate-key'
import { loadKey } from './reach'
import type { Runtime } from './runtime'

async function commitTransition(
  rt: Runtime,
  id: string,
  action: KeyAction,
  actor: Actor | SystemActor,
): Promise<{ key: Key; emit: () => Promise<void> }> {
  const done = await mutateKey(rt, id, actor, ({ key }, now) => {
    const moved = transition(key, action, actor, now)
    return { record: moved.record, result: moved }
  })
  const { from, to } = done.result
  return {
    key: toKey(done.record, done.now),
    emit: () =>
      emit(
        rt,
        actor,
        done,
        action === 'expire'
          ? { type: 'key.expired', from }
          : { type: 'key.state_changed', from, to },
      ),
  }
}

/** Runs a transition for an organisation or admin actor and emits `key.state_changed`. */
export async function changeState(
  rt: Runtime,
  actor: Actor,
  id: unknown,
  action: KeyAction,
): Promise<Key> {
  const done = await commitTransition(rt, requireKeyId(id), action, actor)
  await done.emit()
  return done.key
}

// True when some standard key of the organisation other than `exceptId` is active at `now`.
async function othersKeepAccess(
  rt: Runtime,
  organisation: string,
  exceptId: string,
): Promise<boolean> {
  const now = rt.now()
  const page = await rt.store.listKeys({
    organisation,
    type: 'standard',
    states: stateFilter('active', now),
    order: 'desc',
    limit: 2,
  })
  return page.some((key) => key.id !== exceptId && keepsAccess(key, now))
}

/** Options of `deactivateKey`. */
export interface DeactivateOptions {
  /** Allow an organisation to deactivate its last active standard key. Default false. */
  allowLockout?: boolean
}

/**
 * Deactivates a key. An organisation may not deactivate its last active standard key unless
 * `allowLockout` is set (`lockout` error). The guard checks before the write and again after it:
 * if concurrent deactivations left no active standard key, this one is undone and refused, so
 * the invariant holds on every store, including ones without cross-key transactions.
 */
export async function deactivateKey(
  rt: Runtime,
  who: Actor,
  keyId: unknown,
  options: DeactivateOptions | undefined,
): Promise<Key> {
  const id = requireKeyId(keyId)
  const { allowLockout } = parseDeactivateOptions(options, who)
  const lockoutError = () =>
    new KeycycleError(
      'lockout',
      'this is the last active standard key of the organisation; pass allowLockout to deactivate it anyway',
      {
        details: { from: 'active', to: 'deactivated', actor: who.kind },
      },
    )

  const guarded = !allowLockout
  // Admins are never guarded, so they skip the extra read.
  if (guarded && who.kind === 'organisation') {
    // The common case, refused without writing anything.
    const { key } = await loadKey(rt, id, who)
    if (isGuardedDeactivation(key, who) && keepsAccess(key, rt.now())) {
      if (!(await othersKeepAccess(rt, key.organisation, id))) throw lockoutError()
    }
  }
  const done = await mutateKey(rt, id, who, ({ key }, now) => ({
    record: transition(key, 'deactivate', who, now).record,
    result: null,
  }))
  // A concurrent deactivation of the other keys may have passed the same pre-check. Whoever
  // commits and then finds no active standard key left undoes its own write, so at least one
  // key always survives; both racers undoing is the worst case, and both callers are told.
  if (guarded && isGuardedDeactivation(done.before, who)) {
    if (!(await othersKeepAccess(rt, done.before.organisation, id))) {
      await undoDeactivation(rt, id, who)
      throw lockoutError()
    }
  }
  await emit(rt, who, done, { type: 'key.state_changed', from: 'active', to: 'deactivated' })
  return toKey(done.record, done.now)
}

// Re-activates a key this call deactivated; skipped if someone else has moved it since. A fault
// here propagates: the caller must not be told the key is still active when it may not be.
async function undoDeactivation(rt: Runtime, id: string, actor: Actor): Promise<void> {
  await mutateKey(rt, id, actor, ({ key }, now) =>
    key.state === 'deactivated'
      ? { record: transition(key, 'activate', actor, now).record, result: null }
      : null,
  )
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
      const done = await commitTransition(rt, candidate.id, 'expire', system)
      await done.emit()
      count++
    } catch (error) {
      // Extended, blocked or expired by someone else since the query: nothing left to do.
      if (!(error instanceof KeycycleError && error.code === 'invalid_transition')) throw error
    }
  }
  return count
}
