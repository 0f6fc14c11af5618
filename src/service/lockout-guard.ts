import { KeycycleError } from '../core/errors'
import { stateFilter } from '../core/filters'
import { isGuardedDeactivation, keepsAccess } from '../core/lockout'
import type { Actor, KeyRecord } from '../core/types'
import type { KeyStore } from '../store'
import type { Now } from './deps'
import { loadKey } from './reach'

// True when some standard key of the organisation other than `exceptId` is active at `now`.
async function othersKeepAccess(
  store: KeyStore,
  now: number,
  organisation: string,
  exceptId: string,
): Promise<boolean> {
  const page = await store.listKeys({
    organisation,
    type: 'standard',
    states: stateFilter('active', now),
    order: 'desc',
    limit: 2,
  })
  return page.some((key) => key.id !== exceptId && keepsAccess(key, now))
}

function lockoutError(actor: Actor, action: 'deactivate' | 'delete'): KeycycleError {
  return new KeycycleError(
    'lockout',
    `this is the last active standard key of the organisation; pass allowLockout to ${action} it anyway`,
    { details: { field: 'allowLockout', from: 'active', to: 'deactivated', actor: actor.kind } },
  )
}

/** Runs a change under the lockout guard; see {@link lockoutGuard}. */
export type GuardLockout = <T>(
  actor: Actor,
  id: string,
  options: { allowLockout: boolean; action: 'deactivate' | 'delete' },
  change: () => Promise<{ before: KeyRecord; result: T }>,
  undo: (before: KeyRecord) => Promise<void>,
) => Promise<T>

/**
 * Runs a change that could lock an organisation out of the API (deactivating or deleting its
 * last active standard key) under the lockout guard. An organisation is refused with `lockout`
 * unless it passes `allowLockout`; admins are never guarded. The guard checks before the change
 * (the common case, refused without writing) and again after it: concurrent changes to the
 * other keys may pass the same pre-check, so whoever commits and then finds no active standard
 * key left undoes its own change and is refused. At least one key always survives, on every
 * store, with per-key compare-and-set alone; both racers undoing is the worst case.
 */
export function lockoutGuard(store: KeyStore, now: Now): GuardLockout {
  return async (actor, id, options, change, undo) => {
    const guarded = !options.allowLockout && actor.kind === 'organisation'
    if (guarded) {
      const { key } = await loadKey(store, id, actor)
      const at = now()
      if (isGuardedDeactivation(key, actor) && keepsAccess(key, at)) {
        if (!(await othersKeepAccess(store, at, key.organisation, id))) {
          throw lockoutError(actor, options.action)
        }
      }
    }
    const { before, result } = await change()
    const at = now()
    if (guarded && isGuardedDeactivation(before, actor) && keepsAccess(before, at)) {
      if (!(await othersKeepAccess(store, at, before.organisation, id))) {
        // A fault while undoing propagates: the caller must not hear "refused" when it may not be.
        await undo(before)
        throw lockoutError(actor, options.action)
      }
    }
    return result
  }
}
