import { KeycycleError } from '../core/errors'
import { parseDeactivateOptions, requireKeyId } from '../core/inputs'
import { toKey } from '../core/key-view'
import type { Actor, Key, KeyRecord, Organisation } from '../core/types'
import { compareAndSet } from './compare-and-set'
import { keyEvents } from './emit'
import { guardLockout } from './lockout-guard'
import { loadKey, loadOrganisation } from './reach'
import type { Runtime } from './runtime'

/** Options of `deleteKey`. */
export interface DeleteOptions {
  /** Allow an organisation to delete its last active standard key. Default false. */
  allowLockout?: boolean
}

/**
 * Deletes a key (SPEC §1): it stops verifying at once (and, with the cache, within its bound
 * elsewhere), is gone from reads and lists, and no digest of it stays in the store. Emits
 * `key.deleted` with the key as it was. The lockout guard applies as for deactivation.
 */
export async function deleteKey(
  rt: Runtime,
  who: Actor,
  keyId: unknown,
  options: DeleteOptions | undefined,
): Promise<Key> {
  const id = requireKeyId(keyId)
  const { allowLockout } = parseDeactivateOptions(options, who)
  const done = await guardLockout(
    rt,
    who,
    id,
    { allowLockout, action: 'delete' },
    async () => {
      const outcome = await compareAndSet(rt, `key ${id}`, {
        read: () => loadKey(rt, id, who),
        decide: (found: { key: KeyRecord; organisation: Organisation }) => ({
          write: found.key,
          expectedVersion: found.key.version,
        }),
        write: (record, expected, { organisation }, now) => {
          const context = { record, organisation, now }
          const event = { type: 'key.deleted' } as const
          // The deletion is the version after `expected`; it schedules nothing.
          const events = keyEvents(rt, who, context, event, record, expected + 1)
          return rt.store.deleteKey(record.id, expected, events && { events })
        },
      })
      rt.events.committed()
      const done = {
        record: outcome.current.key,
        organisation: outcome.current.organisation,
        now: outcome.now,
      }
      return { before: done.record, result: done }
    },
    async (before) => {
      // Put the key back as it was, at the version after the deletion's (each write of a key
      // takes the next version, so its events keep their order), and announce it again.
      // If its ID was somehow taken meanwhile, say so loudly.
      const restored = { ...before, version: before.version + 2 }
      const organisation = await loadOrganisation(rt, before.organisation, who)
      const context = { record: restored, organisation, now: rt.now() }
      const events = keyEvents(rt, who, context, { type: 'key.created' }, before)
      if (!(await rt.store.insertKey(restored, events && { events }))) {
        throw new KeycycleError(
          'conflict',
          `key ${id} could not be restored after a refused delete`,
        )
      }
    },
  )
  return toKey(done.record, done.now)
}
