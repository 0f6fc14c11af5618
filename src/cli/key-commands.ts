import { type Command, Option } from 'commander'
import {
  DEACTIVATE_OPTIONS,
  KEY_FIELDS,
  LIST_QUERY,
  ROTATE_OPTIONS,
  type Schema,
} from '../core/schema'
import { type Key, SLOTS, type Slot } from '../core/types'
import { presentKey, presentList } from '../http/wire-out'
import type { ActorHandle } from '../service/handle'
import { addSchemaFlags, type Flag, inputFromFlags } from './flags'
import { listTable, note, print, recordTable } from './output'
import {
  type Context,
  globals,
  handleFor,
  shownToken,
  tokenWarning,
  UnsupportedError,
  UsageError,
  withKeycycle,
} from './session'

type Values = Record<string, unknown>

/** What a key command prints: the key, and the token it minted, if any. */
interface KeyResult {
  key: Key
  minted?: { token: string; slot: Slot }
}

/** Prints a key in the management API's wire format; a minted token only where it may be shown. */
export function printKey(context: Context, { key, minted }: KeyResult): void {
  const token = minted && shownToken(context, minted.token, key.id, minted.slot)
  const wire = presentKey(key, token)
  print(context.out, wire, () => recordTable(wire))
  if (token !== undefined) tokenWarning(context)
}

/**
 * Adds `key <name>`, with flags derived from `schema` (fields settable in `mode`) and a run that
 * gets the acting handle, the key ID (when `withId`) and the input the flags describe.
 */
function keyCommand(
  parent: Command,
  context: Context,
  spec: {
    name: string
    description: string
    withId?: boolean
    schema?: Schema
    mode?: 'create' | 'patch'
    extra?: (command: Command) => void
    run: (handle: ActorHandle, id: string, input: Values, values: Values) => Promise<KeyResult>
  },
): void {
  const command = parent.command(spec.withId === false ? spec.name : `${spec.name} <id>`)
  command.description(spec.description)
  const flags: Flag[] = spec.schema
    ? addSchemaFlags(command, spec.schema, spec.mode ?? 'create')
    : []
  spec.extra?.(command)
  command.action(async (...args: unknown[]) => {
    const cmd = args.at(-1) as Command
    const values = cmd.opts<Values>()
    const options = globals(cmd, context)
    context.flags = flags
    const id = spec.withId === false ? '' : (args[0] as string)
    await withKeycycle(options, context, async (kc) => {
      const result = await spec.run(
        handleFor(kc, options),
        id,
        inputFromFlags(flags, values),
        values,
      )
      printKey(context, result)
    })
  })
}

const keyOnly = (key: Key): KeyResult => ({ key })

const LIST_COLUMNS = ['id', 'type', 'state', 'name', 'date_created', 'date_expires', 'primary.hint']

/** The `key …` commands: each acts through the handle of the actor the options name. */
export function keyCommands(root: Command, context: Context): void {
  const keys = root
    .command('key')
    .description('keys: create, list, get, update, rotate, regenerate, change state, delete')

  keyCommand(keys, context, {
    name: 'create',
    withId: false,
    description: 'create a key (admins name --organisation); prints its token once',
    schema: KEY_FIELDS,
    run: async (handle, _id, input) => {
      const { key, token } = await handle.createKey(input)
      return { key, minted: { token, slot: 'primary' } }
    },
  })

  const list = keys
    .command('list')
    .description('list keys, newest first (admins name --organisation)')
  const listFlags = addSchemaFlags(list, LIST_QUERY, 'create')
  list.action(async (values: Values, command: Command) => {
    const options = globals(command, context)
    context.flags = listFlags
    await withKeycycle(options, context, async (kc) => {
      const page = await handleFor(kc, options).listKeys(inputFromFlags(listFlags, values))
      const wire = presentList(page, '/keys')
      print(context.out, wire, () => listTable(wire.data, LIST_COLUMNS))
      const last = page.data.at(-1)
      if (page.hasMore && last && !context.out.json) {
        note(context.out, `more keys follow: add --starting-after ${last.id}`)
      }
    })
  })

  keyCommand(keys, context, {
    name: 'get',
    description: 'show a key',
    run: async (handle, id) => keyOnly(await handle.getKey(id)),
  })

  keyCommand(keys, context, {
    name: 'update',
    description: "change some of a key's fields (`null` reverts to the default)",
    schema: KEY_FIELDS,
    mode: 'patch',
    run: async (handle, id, input) => {
      if (Object.keys(input).length === 0)
        throw new UsageError('nothing to update: give a field flag')
      return keyOnly(await handle.updateKey(id, input))
    },
  })

  keyCommand(keys, context, {
    name: 'rotate',
    description: 'mint a new token; the old one keeps working for the grace period unless --force',
    schema: ROTATE_OPTIONS,
    run: async (handle, id, input) => {
      const { key, token } = await handle.rotateKey(id, input)
      return { key, minted: { token, slot: (input.slot as Slot | undefined) ?? 'primary' } }
    },
  })

  keyCommand(keys, context, {
    name: 'regenerate',
    description: "replace a slot's token at once (NCP regenerate); creates an absent secondary",
    extra: (command) =>
      command.addOption(
        new Option('--slot <slot>', 'the slot to regenerate').choices(SLOTS).default('primary'),
      ),
    run: async (handle, id, _input, values) => {
      const slot = values.slot as Slot
      const { key, token } = await handle.regenerateKey(id, slot)
      return { key, minted: { token, slot } }
    },
  })

  keyCommand(keys, context, {
    name: 'deactivate',
    description: 'active → deactivated',
    schema: DEACTIVATE_OPTIONS,
    run: async (handle, id, input) => keyOnly(await handle.deactivateKey(id, input)),
  })
  keyCommand(keys, context, {
    name: 'activate',
    description: 'deactivated → active',
    run: async (handle, id) => keyOnly(await handle.activateKey(id)),
  })
  keyCommand(keys, context, {
    name: 'block',
    description: 'admin only: active or deactivated → blocked',
    run: async (handle, id) => keyOnly(await handle.blockKey(id)),
  })
  keyCommand(keys, context, {
    name: 'unblock',
    description: 'admin only: blocked → active',
    run: async (handle, id) => keyOnly(await handle.unblockKey(id)),
  })

  const remove = keys
    .command('delete <id>')
    .description('delete a key: it stops verifying at once and is gone from reads')
  const deleteFlags = addSchemaFlags(remove, DEACTIVATE_OPTIONS, 'create')
  remove.action(async (id: string, values: Values, command: Command) => {
    const options = globals(command, context)
    context.flags = deleteFlags
    await withKeycycle(options, context, async (kc) => {
      // deleteKey came later than the other calls; an older service has no such method.
      const handle = handleFor(kc, options) as ActorHandle & {
        deleteKey?: (id: string, options?: Values) => Promise<unknown>
      }
      if (typeof handle.deleteKey !== 'function') {
        throw new UnsupportedError('key delete is not supported by this version of keycycle')
      }
      await handle.deleteKey(id, inputFromFlags(deleteFlags, values))
      print(context.out, { id, deleted: true }, () => `deleted ${id}`)
    })
  })
}
