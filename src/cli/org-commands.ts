import type { Command } from 'commander'
import { ORGANISATION_FIELDS } from '../core/schema'
import { presentKey, presentOrganisation } from '../http/wire-out'
import { addSchemaFlags, inputFromFlags } from './flags'
import { print, recordTable } from './output'
import { type Context, globals, handleFor, shownToken, tokenWarning, withKeycycle } from './session'

/** `org create` (host level: no actor) and `org get`. */
export function orgCommands(root: Command, context: Context): void {
  const org = root.command('org').description('organisations: create, get')

  const create = org
    .command('create')
    .description('create an organisation and its first standard key; prints the token once')
  const flags = addSchemaFlags(create, ORGANISATION_FIELDS, 'create')
  create.action(async (values: Record<string, unknown>, command: Command) => {
    const options = globals(command, context)
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
  })

  org
    .command('get [id]')
    .description("show an organisation and its defaults (with --org, that organisation's own)")
    .action(async (id: string | undefined, _values: unknown, command: Command) => {
      const options = globals(command, context)
      await withKeycycle(options, context, async (kc) => {
        const wire = presentOrganisation(await handleFor(kc, options).getOrganisation(id))
        print(context.out, wire, () => recordTable(wire))
      })
    })
}
