import {
  DEACTIVATE_OPTIONS,
  KEY_FIELDS,
  LIST_QUERY,
  ROTATE_OPTIONS,
  USAGE_QUERY,
} from '../core/schema'
import { SLOTS, type Slot } from '../core/types'
import { presentKeyUsage, presentList } from '../http/wire-out'
import type { ActorHandle } from '../service/handle'
import { UnsupportedError, UsageError } from './cli-errors'
import type { CommandSpec } from './command-line'
import { importCommand } from './import-command'
import { keyAction, keyOnly } from './key-action'
import { stateSubcommands } from './key-state-subcommands'
import { listTable, note, print } from './output'
import { type FlagValues, serviceCommand } from './service-command'
import { ACTORS, type Context, handleFor, ORGANISATION_RULE, organisationHint } from './session'
import { usageChart, usageTable } from './usage-chart'

// What an admin that named no organisation is told to pass.
const PASS = 'pass --organisation <org_id>'

const LIST_COLUMNS = ['id', 'type', 'state', 'name', 'date_created', 'date_expires', 'primary.hint']

function listCommand(context: Context): CommandSpec {
  return serviceCommand(context, {
    name: 'list',
    summary: 'list keys, newest first (an admin names --organisation)',
    schema: LIST_QUERY,
    notes: ORGANISATION_RULE,
    run: async (kc, { options, input }) => {
      const page = await handleFor(kc, options)
        .listKeys(input)
        .catch((error: unknown) => Promise.reject(organisationHint(error, PASS)))
      const wire = presentList(page, '/keys')
      print(context.out, wire, () => listTable(wire.data, LIST_COLUMNS))
      const last = page.data.at(-1)
      if (page.hasMore && last && !context.out.json) {
        note(context.out, `more keys follow: add --starting-after ${last.id}`)
      }
    },
  })
}

function deleteCommand(context: Context): CommandSpec {
  return serviceCommand(context, {
    name: 'delete',
    args: ['<id>'],
    summary: 'delete a key: it stops verifying at once and is gone from reads',
    schema: DEACTIVATE_OPTIONS,
    run: async (kc, { args: [id = ''], options, input }) => {
      // An older service has no deleteKey: say so rather than fail as a bug.
      const handle = handleFor(kc, options) as ActorHandle & {
        deleteKey?: (id: string, options?: FlagValues) => Promise<unknown>
      }
      if (typeof handle.deleteKey !== 'function') {
        throw new UnsupportedError('key delete is not supported by this version of keycycle')
      }
      await handle.deleteKey(id, input)
      print(context.out, { id, deleted: true }, () => `deleted ${id}`)
    },
  })
}

function usageCommand(context: Context): CommandSpec {
  return serviceCommand(context, {
    name: 'usage',
    args: ['<id>'],
    summary: "a key's verifications by outcome per hour or day: a chart on a terminal",
    schema: USAGE_QUERY,
    notes:
      'Counts are written every lastUsedFlushMs (and when a process closes): the last minute may not show yet.',
    run: async (kc, { args: [id = ''], options, input }) => {
      const usage = presentKeyUsage(await handleFor(kc, options).getKeyUsage(id, input))
      const tty = context.io.stdout.isTTY === true
      print(context.out, usage, () => (tty ? usageChart(usage) : usageTable(usage)))
    },
  })
}

/** The `key …` commands: each acts through the handle of the actor the options name. */
export function keySubcommands(context: Context): CommandSpec {
  const create = keyAction(context, {
    name: 'create',
    withId: false,
    summary: 'create a key (an admin names --organisation); prints its token once',
    schema: KEY_FIELDS,
    notes: ORGANISATION_RULE,
    run: async (handle, _id, input) => {
      const { key, token } = await handle
        .createKey(input)
        .catch((error: unknown) => Promise.reject(organisationHint(error, PASS)))
      return { key, minted: { token, slot: 'primary' } }
    },
  })
  const get = keyAction(context, {
    name: 'get',
    summary: 'show a key',
    run: async (handle, id) => keyOnly(await handle.getKey(id)),
  })
  const update = keyAction(context, {
    name: 'update',
    summary: "change some of a key's fields (`null` reverts to the default)",
    schema: KEY_FIELDS,
    mode: 'patch',
    run: async (handle, id, input) => {
      if (Object.keys(input).length === 0) {
        throw new UsageError('nothing to update: give a field flag', 'keycycle key update')
      }
      return keyOnly(await handle.updateKey(id, input))
    },
  })
  const rotate = keyAction(context, {
    name: 'rotate',
    summary: 'mint a new token; the old one keeps working for the grace period unless --force',
    schema: ROTATE_OPTIONS,
    run: async (handle, id, input) => {
      const { key, token } = await handle.rotateKey(id, input)
      return { key, minted: { token, slot: (input.slot as Slot | undefined) ?? 'primary' } }
    },
  })
  const regenerate = keyAction(context, {
    name: 'regenerate',
    summary: "replace a slot's token at once (NCP regenerate); creates an absent secondary",
    options: [
      {
        name: 'slot',
        placeholder: `<${SLOTS.join('|')}>`,
        description: 'the slot to regenerate',
        default: 'primary',
        parse: (text) => {
          if ((SLOTS as readonly string[]).includes(text)) return text
          throw new UsageError(`expected one of ${SLOTS.join(', ')}`)
        },
      },
    ],
    run: async (handle, id, _input, values) => {
      const slot = values.slot as Slot
      const { key, token } = await handle.regenerateKey(id, slot)
      return { key, minted: { token, slot } }
    },
  })
  return {
    name: 'key',
    summary:
      'keys: create, list, get, update, rotate, regenerate, change state, delete, usage, import',
    commands: [
      create,
      listCommand(context),
      get,
      update,
      rotate,
      regenerate,
      ...stateSubcommands(context),
      deleteCommand(context),
      usageCommand(context),
      importCommand(context),
    ],
    notes: ACTORS,
  }
}
