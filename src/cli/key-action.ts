import type { InputMode, Schema } from '../core/schema'
import type { Key, Slot } from '../core/types'
import { presentKey } from '../http/wire-out'
import type { ActorHandle } from '../service/handle'
import type { CommandSpec, OptionSpec } from './command-line'
import { print, recordTable } from './output'
import { type FlagValues, serviceCommand } from './service-command'
import { type Context, handleFor, shownToken, tokenWarning } from './session'

/** What a key command prints: the key, and the token it minted, if any. */
export interface KeyResult {
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
 * `key <name>`: a {@link serviceCommand} whose run gets the acting handle (the actor the global
 * options name), the key ID (unless `withId` is false) and the input the schema's flags
 * describe, and returns the key to print.
 */
export function keyAction(
  context: Context,
  spec: {
    name: string
    summary: string
    withId?: boolean
    schema?: Schema
    mode?: InputMode
    options?: OptionSpec[]
    notes?: string
    run: (
      handle: ActorHandle,
      id: string,
      input: FlagValues,
      values: FlagValues,
    ) => Promise<KeyResult>
  },
): CommandSpec {
  const { withId, run, ...command } = spec
  return serviceCommand(context, {
    ...command,
    ...(withId === false ? {} : { args: ['<id>'] }),
    run: async (kc, { args: [id = ''], options, input, values }) => {
      printKey(context, await run(handleFor(kc, options), id, input, values))
    },
  })
}

/** A key as the command read or changed it, with no token. */
export const keyOnly = (key: Key): KeyResult => ({ key })
