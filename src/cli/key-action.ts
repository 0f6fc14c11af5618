import type { Schema } from '../core/schema'
import type { Key, Slot } from '../core/types'
import { presentKey } from '../http/wire-out'
import type { ActorHandle } from '../service/handle'
import type { CommandSpec, OptionSpec } from './command-line'
import { type Flag, inputFromFlags, schemaFlags } from './flags'
import { print, recordTable } from './output'
import { type Context, globals, handleFor, shownToken, tokenWarning, withKeycycle } from './session'

/** Option values, or the domain input they describe. */
export type Values = Record<string, unknown>

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
 * `key <name>`, with flags derived from `schema` (fields settable in `mode`) and a run that gets
 * the acting handle, the key ID (when `withId`) and the input the flags describe.
 */
export function keyAction(
  context: Context,
  spec: {
    name: string
    summary: string
    withId?: boolean
    schema?: Schema
    mode?: 'create' | 'patch'
    options?: OptionSpec[]
    notes?: string
    run: (handle: ActorHandle, id: string, input: Values, values: Values) => Promise<KeyResult>
  },
): CommandSpec {
  const flags: Flag[] = spec.schema ? schemaFlags(spec.schema, spec.mode ?? 'create') : []
  return {
    name: spec.name,
    ...(spec.withId === false ? {} : { args: ['<id>'] }),
    summary: spec.summary,
    options: [...flags.map((f) => f.option), ...(spec.options ?? [])],
    ...(spec.notes ? { notes: spec.notes } : {}),
    run: async ({ args: [id = ''], values }) => {
      const options = globals(values, context)
      context.flags = flags
      await withKeycycle(options, context, async (kc) => {
        const result = await spec.run(
          handleFor(kc, options),
          id,
          inputFromFlags(flags, values),
          values,
        )
        printKey(context, result)
      })
    },
  }
}

/** A key as the command read or changed it, with no token. */
export const keyOnly = (key: Key): KeyResult => ({ key })
