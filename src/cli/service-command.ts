import type { InputMode, Schema } from '../core/schema'
import type { Keycycle } from '../service/keycycle'
import type { CommandSpec, OptionSpec } from './command-line'
import { type Flag, inputFromFlags, schemaFlags } from './flags'
import type { OpenedStore } from './open-store'
import { type Context, type Globals, globals, withKeycycle } from './session'

/** Option values, or the domain input they describe. */
export type FlagValues = Record<string, unknown>

/** What a {@link serviceCommand}'s run gets besides the service. */
export interface ServiceCall {
  args: string[]
  /** The global options. */
  options: Globals
  /** The domain input the schema's flags describe: only the flags given, nested by path. */
  input: FlagValues
  /** Every option's value, the command's own ones (not from the schema) included. */
  values: FlagValues
  opened: OpenedStore
}

/**
 * A command run against the service over the store the global options name, with a flag for
 * every field `schema` lets `mode` set (errors then name the flag, not the field) and any
 * other `options`. The store and the service are closed when `run` settles.
 */
export function serviceCommand(
  context: Context,
  spec: {
    name: string
    summary: string
    args?: string[]
    schema?: Schema
    mode?: InputMode
    options?: OptionSpec[]
    notes?: string
    run: (kc: Keycycle, call: ServiceCall) => Promise<void>
  },
): CommandSpec {
  const flags: Flag[] = spec.schema ? schemaFlags(spec.schema, spec.mode ?? 'create') : []
  return {
    name: spec.name,
    ...(spec.args ? { args: spec.args } : {}),
    summary: spec.summary,
    options: [...flags.map((f) => f.option), ...(spec.options ?? [])],
    ...(spec.notes ? { notes: spec.notes } : {}),
    run: async ({ args, values }) => {
      const options = globals(values, context)
      context.flags = flags
      const input = inputFromFlags(flags, values)
      await withKeycycle(options, context, (kc, opened) =>
        spec.run(kc, { args, options, input, values, opened }),
      )
    },
  }
}
