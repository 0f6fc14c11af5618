import { ORGANISATION_FIELDS } from '../core/schema'
import { presentKey, presentOrganisation } from '../http/wire-out'
import type { CommandSpec } from './command-line'
import { inputFromFlags, schemaFlags } from './flags'
import { print, recordTable } from './output'
import { type Context, globals, handleFor, shownToken, tokenWarning, withKeycycle } from './session'

function createCommand(context: Context): CommandSpec {
  const flags = schemaFlags(ORGANISATION_FIELDS, 'create')
  return {
    name: 'create',
    summary: 'create an organisation and its first standard key; prints the token once',
    options: flags.map((f) => f.option),
    run: async ({ values }) => {
      const options = globals(values, context)
      context.flags = flags
      await withKeycycle(options, context, async (kc) => {
        const created = await kc.createOrganisation(inputFromFlags(flags, values))
        const token = shownToken(context, created.token, created.key.id)
        const wire = {
          organisation: presentOrganisation(created.organisation),
          key: presentKey(created.key, token),
        }
        print(
          context.out,
          wire,
          () => `${recordTable(wire.organisation)}\n\n${recordTable(wire.key)}`,
        )
        if (token !== undefined) tokenWarning(context)
      })
    },
  }
}

/** `org create` (host level: no actor) and `org get`. */
export function orgCommands(context: Context): CommandSpec {
  return {
    name: 'org',
    summary: 'organisations: create, get',
    commands: [
      createCommand(context),
      {
        name: 'get',
        args: ['[id]'],
        summary: "show an organisation and its defaults (with --org, that organisation's own)",
        run: async ({ args: [id], values }) => {
          const options = globals(values, context)
          await withKeycycle(options, context, async (kc) => {
            const wire = presentOrganisation(await handleFor(kc, options).getOrganisation(id))
            print(context.out, wire, () => recordTable(wire))
          })
        },
      },
    ],
  }
}
