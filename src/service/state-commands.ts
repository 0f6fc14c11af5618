import { KeycycleError } from '../core/errors'
import { dueClause } from '../core/filters'
import { parseDeactivateOptions, requireKeyId } from '../core/inputs'
import { type KeyAction, transition } from '../core/states'
import type { Actor, Key, SystemActor } from '../core/types'
import { readInteger, readObject } from '../core/validate'
import type { KeyStore } from '../store'
import type { Now } from './deps'
import { liveKey } from './live-keys'
import type { GuardLockout } from './lockout-guard'
import type { MutateKey } from './mutate-key'

/** Options of `deactivateKey`. */
export interface DeactivateOptions {
  /** Allow an organisation to deactivate its last active standard key. Default false. */
  allowLockout?: boolean
}

/** Options of `expireDue`. */
export interface ExpireDueOptions {
  /** Most keys to expire in this call, 1–1000. Default 100. */
  limit?: number
}

/** What the state commands are built from. */
export interface StateCommandDeps {
  store: KeyStore
  now: Now
  mutateKey: MutateKey
  guardLockout: GuardLockout
}

/** Moving keys between states (see `docs/decisions.md#states`). */
export interface StateCommands {
  /** Runs a transition for an organisation or admin actor; emits `key.state_changed`. */
  changeState(actor: Actor, id: unknown, action: KeyAction): Promise<Key>
  /**
   * Deactivates a key. An organisation may not deactivate its last active standard key unless
   * `allowLockout` is set (`lockout` error), checked before and after the write (see
   * `lockoutGuard`), so the invariant holds on every store.
   */
  deactivateKey(actor: Actor, id: unknown, options: DeactivateOptions | undefined): Promise<Key>
  /**
   * Persists `expired` on keys whose `expiresAt` has passed and emits `key.expired` for each.
   * Verification never waits for this: expiry is exact at read time. Returns how many keys this
   * call expired; a key another sweep expired first is not counted twice.
   */
  expireDue(options: ExpireDueOptions | undefined): Promise<number>
}

/** The state commands over `deps`. */
export function stateCommands(deps: StateCommandDeps): StateCommands {
  const { store, now, mutateKey, guardLockout } = deps

  async function commit(id: string, action: KeyAction, actor: Actor | SystemActor) {
    const done = await mutateKey(id, actor, ({ key }, at) => {
      const { record, from, to } = transition(key, action, actor, at)
      return {
        record,
        result: null,
        event:
          action === 'expire'
            ? { type: 'key.expired', from }
            : { type: 'key.state_changed', from, to },
      }
    })
    return liveKey(store, done.record, done.now)
  }

  // Re-activates a key this call deactivated; skipped if someone else has moved it since. The
  // deactivation committed and its event is recorded, so the undo records its own.
  async function undoDeactivation(id: string, actor: Actor): Promise<void> {
    await mutateKey(id, actor, ({ key }, at) => {
      if (key.state !== 'deactivated') return null
      const { record, from, to } = transition(key, 'activate', actor, at)
      return { record, result: null, event: { type: 'key.state_changed', from, to } }
    })
  }

  return {
    changeState: (actor, id, action) => commit(requireKeyId(id), action, actor),

    async deactivateKey(actor, keyId, options) {
      const id = requireKeyId(keyId)
      const { allowLockout } = parseDeactivateOptions(options, actor)
      const done = await guardLockout(
        actor,
        id,
        { allowLockout, action: 'deactivate' },
        async () => {
          const done = await mutateKey(id, actor, ({ key }, at) => {
            const { record, from, to } = transition(key, 'deactivate', actor, at)
            return { record, result: null, event: { type: 'key.state_changed', from, to } }
          })
          return { before: done.before, result: done }
        },
        () => undoDeactivation(id, actor),
      )
      return liveKey(store, done.record, done.now)
    },

    async expireDue(options) {
      const opts = readObject(options ?? {}, 'options', ['limit'])
      const limit = opts.limit === undefined ? 100 : readInteger(opts.limit, 'limit', 1, 1000)
      const due = await store.listDueKeys({ clause: dueClause(now()), limit })
      const system: SystemActor = { kind: 'system' }
      let count = 0
      for (const candidate of due) {
        try {
          await commit(candidate.id, 'expire', system)
          count++
        } catch (error) {
          // Extended, blocked or expired by someone else since the query: nothing left to do.
          if (!(error instanceof KeycycleError && error.code === 'invalid_transition')) throw error
        }
      }
      return count
    },
  }
}
