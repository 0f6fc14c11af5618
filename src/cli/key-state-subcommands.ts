import { KeycycleError } from '../core/errors'
import { DEACTIVATE_OPTIONS } from '../core/schema'
import { STATE_TABLE } from '../core/states'
import type { Key } from '../core/types'
import type { ActorHandle } from '../service/handle'
import type { CommandSpec } from './command-line'
import { keyAction, keyOnly } from './key-action'
import type { FlagValues } from './service-command'
import type { Context } from './session'

/** The state changes a person asks for by name. */
type StateAction = 'deactivate' | 'activate' | 'block' | 'unblock'

const CALLS: Record<
  StateAction,
  (handle: ActorHandle, id: string, input: FlagValues) => Promise<Key>
> = {
  deactivate: (handle, id, input) => handle.deactivateKey(id, input),
  activate: (handle, id) => handle.activateKey(id),
  block: (handle, id) => handle.blockKey(id),
  unblock: (handle, id) => handle.unblockKey(id),
}

/**
 * A refused transition in the words of the command that asked for it: the key is already where
 * the command would take it, or the states the command takes. The service's message names the
 * actor ("an admin actor cannot deactivate a key"), which on a shell reads like a refused
 * permission; that is `forbidden`, never this. The code, details and exit status stay.
 */
export function refusedTransition(error: unknown, action: StateAction, id: string): unknown {
  if (!(error instanceof KeycycleError) || error.code !== 'invalid_transition') return error
  const { from } = error.details
  if (from === undefined) return error
  const rule = STATE_TABLE[action]
  const message =
    from === rule.to
      ? `${id} is already ${from}: nothing to ${action}`
      : `cannot ${action} ${id}: it is ${from}, and ${action} takes ${rule.from.join(' or ')} keys`
  return new KeycycleError('invalid_transition', message, { cause: error, details: error.details })
}

/** `key deactivate`, `activate`, `block` and `unblock`. */
export function stateSubcommands(context: Context): CommandSpec[] {
  const command = (action: StateAction, summary: string) =>
    keyAction(context, {
      name: action,
      summary,
      ...(action === 'deactivate' ? { schema: DEACTIVATE_OPTIONS } : {}),
      run: async (handle, id, input) => {
        try {
          return keyOnly(await CALLS[action](handle, id, input))
        } catch (error) {
          throw refusedTransition(error, action, id)
        }
      },
    })
  return [
    command('deactivate', 'active → deactivated'),
    command('activate', 'deactivated → active'),
    command('block', 'admin only: active or deactivated → blocked'),
    command('unblock', 'admin only: blocked → active'),
  ]
}
