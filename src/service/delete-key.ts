import { KeycycleError } from '../core/errors'
import { parseDeactivateOptions, requireKeyId } from '../core/inputs'
import { toKey } from '../core/key-view'
import type { Actor, Key, KeyRecord, Organisation } from '../core/types'
import type { KeyStore } from '../store'
import type { CompareAndSet } from './compare-and-set'
import type { Now } from './deps'
import type { OutboxEvents } from './emit'
import type { GuardLockout } from './lockout-guard'
import { loadKey, loadOrganisation } from './reach'

/** Options of `deleteKey`. */
export interface DeleteOptions {
  /** Allow an organisation to delete its last active standard key. Default false. */
  allowLockout?: boolean
}

/** What {@link keyDeletion} is built from. */
export interface DeleteKeyDeps {
  store: KeyStore
  now: Now
  events: OutboxEvents
  compareAndSet: CompareAndSet
  guardLockout: GuardLockout
}

/**
 * Deletes a key: it stops verifying at once (and, with the cache, within its bound elsewhere),
 * is gone from reads and lists, and no digest of it stays in the store. Emits `key.deleted`
 * with the key as it was. The lockout guard applies as for deactivation.
 */
export type DeleteKey = (
  actor: Actor,
  id: unknown,
  options: DeleteOptions | undefined,
) => Promise<Key>

/** Key deletion over `deps`. */
export function keyDeletion(deps: DeleteKeyDeps): DeleteKey {
  const { store, now, events, compareAndSet, guardLockout } = deps

  // Puts the key back as it was, at the version after the deletion's (each write of a key takes
  // the next version, so its events keep their order), and announces it again. If its ID was
  // somehow taken meanwhile, says so loudly.
  async function restore(before: KeyRecord, actor: Actor): Promise<void> {
    const restored = { ...before, version: before.version + 2 }
    const organisation = await loadOrganisation(store, before.organisation, actor)
    const context = { record: restored, organisation, now: now() }
    const recorded = events.key(actor, context, { type: 'key.created' }, before)
    if (!(await store.insertKey(restored, recorded && { events: recorded }))) {
      throw new KeycycleError(
        'conflict',
        `key ${before.id} could not be restored after a refused delete`,
      )
    }
  }

  return async (actor, keyId, options) => {
    const id = requireKeyId(keyId)
    const { allowLockout } = parseDeactivateOptions(options, actor)
    const done = await guardLockout(
      actor,
      id,
      { allowLockout, action: 'delete' },
      async () => {
        const outcome = await compareAndSet(`key ${id}`, {
          read: () => loadKey(store, id, actor),
          decide: (found: { key: KeyRecord; organisation: Organisation }) => ({
            write: found.key,
            expectedVersion: found.key.version,
          }),
          write: (record, expected, { organisation }, at) => {
            const context = { record, organisation, now: at }
            // The deletion is the version after `expected`; it schedules nothing.
            const detail = { type: 'key.deleted' } as const
            const recorded = events.key(actor, context, detail, record, expected + 1)
            return store.deleteKey(record.id, expected, recorded && { events: recorded })
          },
        })
        const result = { record: outcome.current.key, now: outcome.now }
        return { before: result.record, result }
      },
      (before) => restore(before, actor),
    )
    return toKey(done.record, done.now)
  }
}
