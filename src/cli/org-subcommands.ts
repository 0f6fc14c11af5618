import { isOrganisationId } from '../core/ids'
import { ORGANISATION_FIELDS } from '../core/schema'
import { presentKey, presentOrganisation } from '../http/wire-out'
import { UsageError } from './cli-errors'
import type { CommandSpec } from './command-line'
import { listTable, note, print, recordTable } from './output'
import { serviceCommand } from './service-command'
import { type Context, handleFor, organisationHint, shownToken, tokenWarning } from './session'

function createCommand(context: Context): CommandSpec {
  return serviceCommand(context, {
    name: 'create',
    summary: 'create an organisation and its first standard key; prints the token once',
    schema: ORGANISATION_FIELDS,
    run: async (kc, { input }) => {
      const created = await kc.createOrganisation(input)
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
    },
  })
}

const LIST_COLUMNS = ['id', 'storage_config', 'webhook_config', 'date_created']

function pageSize(text: string): number {
  const n = Number(text)
  if (Number.isInteger(n) && n >= 1 && n <= 100) return n
  throw new UsageError('expected an integer from 1 to 100')
}

function listCommand(context: Context): CommandSpec {
  return serviceCommand(context, {
    name: 'list',
    summary: 'list organisations, newest first, with their defaults',
    options: [
      {
        name: 'limit',
        placeholder: '<n>',
        description: 'page size, 1–100',
        default: 20,
        parse: pageSize,
      },
      {
        name: 'starting-after',
        placeholder: '<org_id>',
        description: 'the page after this organisation ID (older organisations)',
        parse: (text) => {
          if (isOrganisationId(text)) return text
          throw new UsageError('expected an organisation ID (org_…)')
        },
      },
    ],
    run: async (kc, { options, values, opened }) => {
      const { limit, startingAfter } = values as { limit: number; startingAfter?: string }
      // One more than the page, to tell whether more follow.
      const ids = await opened.organisationIds({ before: startingAfter, limit: limit + 1 })
      // Each record is read through the service, as every other command reads. An
      // organisation is never deleted, so each ID listed reads back.
      const admin = kc.asAdmin(options.admin)
      const page = ids.slice(0, limit)
      const data: ReturnType<typeof presentOrganisation>[] = []
      for (const id of page) data.push(presentOrganisation(await admin.getOrganisation(id)))
      const wire = { resource: 'list', data, has_more: ids.length > limit }
      print(context.out, wire, () => listTable(data, LIST_COLUMNS))
      if (wire.has_more && !context.out.json) {
        note(context.out, `more organisations follow: add --starting-after ${page.at(-1)}`)
      }
    },
  })
}

function getCommand(context: Context): CommandSpec {
  return serviceCommand(context, {
    name: 'get',
    args: ['[id]'],
    summary: "show an organisation and its defaults (with --org, that organisation's own)",
    run: async (kc, { args: [id], options }) => {
      const organisation = await handleFor(kc, options)
        .getOrganisation(id)
        .catch((error: unknown) =>
          Promise.reject(organisationHint(error, 'give its ID: keycycle org get <org_id>')),
        )
      const wire = presentOrganisation(organisation)
      print(context.out, wire, () => recordTable(wire))
    },
  })
}

/** `org create` and `org list` (host level: no actor), and `org get`. */
export function orgSubcommands(context: Context): CommandSpec {
  return {
    name: 'org',
    summary: 'organisations: create, list, get',
    commands: [createCommand(context), listCommand(context), getCommand(context)],
  }
}
