import { invalidInput } from '../core/errors'
import { readObject } from '../core/validate'

const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/

/** An ISO 8601 date-time with a zone, as epoch ms; null stays null. */
function readDate(value: unknown, field: string): number | null {
  if (value === null) return null
  const ms = typeof value === 'string' && ISO_DATE_TIME.test(value) ? Date.parse(value) : Number.NaN
  if (Number.isNaN(ms))
    throw invalidInput(field, 'must be an ISO 8601 date-time with a time zone, or null')
  return ms
}

function readConfig(value: unknown): unknown {
  if (value === null) return null
  const record = readObject(value, 'config', ['publish_source_files'])
  return record.publish_source_files === undefined
    ? {}
    : { publishSourceFiles: record.publish_source_files }
}

/** Wire name → service name, for the fields a body may carry. */
const NAMES: Record<string, string> = {
  organisation: 'organisation',
  type: 'type',
  name: 'name',
  description: 'description',
  storage_config: 'storageConfig',
  webhook_config: 'webhookConfig',
  config: 'config',
  permissions: 'permissions',
  date_expires: 'expiresAt',
  force: 'force',
  slot: 'slot',
  allow_lockout: 'allowLockout',
}

/**
 * Translates a JSON body with the given wire fields into service input. Unknown fields are a
 * `validation` error; values are checked by the service. An empty body is an empty object.
 */
export function fromWire(body: unknown, fields: readonly string[]): Record<string, unknown> {
  const record = readObject(body ?? {}, 'input', fields)
  const out: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(record)) {
    if (value === undefined) continue
    if (field === 'date_expires') out.expiresAt = readDate(value, field)
    else if (field === 'config') out.config = readConfig(value)
    else out[NAMES[field] ?? field] = value
  }
  return out
}

export const UPDATE_FIELDS = [
  'name',
  'description',
  'storage_config',
  'webhook_config',
  'config',
  'permissions',
  'date_expires',
]
export const CREATE_FIELDS = ['organisation', 'type', ...UPDATE_FIELDS]
export const ORGANISATION_FIELDS = ['storage_config', 'webhook_config', 'config']

const LIST_PARAMS: Record<string, string> = {
  type: 'type',
  state: 'state',
  limit: 'limit',
  starting_after: 'startingAfter',
  ending_before: 'endingBefore',
}

/** Translates list query parameters; `organisation` is kept apart for the caller to check. */
export function listQueryFromWire(query: URLSearchParams): {
  organisation?: string
  rest: Record<string, unknown>
} {
  const rest: Record<string, unknown> = {}
  let organisation: string | undefined
  for (const [param, value] of query) {
    if (query.getAll(param).length > 1) throw invalidInput(param, 'given more than once')
    if (param === 'organisation') organisation = value
    else if (param === 'limit') rest.limit = /^\d{1,4}$/.test(value) ? Number(value) : value
    else if (LIST_PARAMS[param]) rest[LIST_PARAMS[param]] = value
    else throw invalidInput(param, 'is not a known query parameter')
  }
  return organisation === undefined ? { rest } : { organisation, rest }
}
