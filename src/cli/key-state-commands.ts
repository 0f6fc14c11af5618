import { DEACTIVATE_OPTIONS } from '../core/schema'
import type { Key } from '../core/types'
import type { ActorHandle } from '../service/handle'
import type { CommandSpec } from './command-line'
import { keyAction, keyOnly, type Values } from './key-action'
import type { Context } from './session'

/** The state changes a person asks for by name. */
type StateAction = 'deactivate' | 'activate' | 'block' | 'unblock'

const CALLS: Record<StateAction, (handle: ActorHandle, id: string, input: Values) => Promise<Key>> =
  {
    deactivate: (handle, id, input) => handle.deactivateKey(id, input),
    activate: (handle, id) => handle.activateKey(id),
    block: (handle, id) => handle.blockKey(id),
    unblock: (handle, id) => handle.unblockKey(id),
  }

/** `key deactivate`, `activate`, `block` and `unblock`. */
export function stateCommands(context: Context): CommandSpec[] {
  const command = (action: StateAction, summary: string) =>
    keyAction(context, {
      name: action,
      summary,
      ...(action === 'deactivate' ? { schema: DEACTIVATE_OPTIONS } : {}),
      run: async (handle, id, input) => keyOnly(await CALLS[action](handle, id, input)),
    })
  return [
    command('deactivate', 'active → deactivated'),
    command('activate', 'deactivated → active'),
    command('block', 'admin only: active or deactivated → blocked'),
    command('unblock', 'admin only: blocked → active'),
  ]
}
