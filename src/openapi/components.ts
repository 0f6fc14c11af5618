import { LIBRARY_DEFAULTS } from '../core/config'
import { USAGE_OUTCOMES } from '../core/key-usage'
import {
  CONFIG_FIELDS,
  DEACTIVATE_OPTIONS,
  KEY_FIELDS,
  ORGANISATION_FIELDS,
  ROTATE_OPTIONS,
} from '../core/schema'
import { TOKEN_PATTERN } from '../core/token'
import { SLOTS } from '../core/types'
import { ERROR_STATUS, type ErrorCode } from '../http/error-status'
import {
  type JsonSchema,
  requestSchema,
  responseSchema,
  responseValueSchema,
  scalarSchema,
} from './json-schema'

// Every schema below is derived from the field schema (src/core/schema) and the status map
// (src/status.ts); only the envelopes the presenters add (`resource`, list and NCP wrappers,
// `token`) are spelled out here, as the presenters in src/http/wire-out.ts spell them.

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

/** `resource: "<name>"` first after `id`, as the presenters put it. */
function withResource(resource: string, schema: JsonSchema, first = 'id'): JsonSchema {
  const { [first]: head, ...rest } = schema.properties as Record<string, JsonSchema>
  const resourceSchema = { const: resource, description: `Always \`${resource}\`.`, readOnly: true }
  return {
    ...schema,
    properties: { ...(head ? { [first]: head } : {}), resource: resourceSchema, ...rest },
    required: [...new Set([first, 'resource', ...((schema.required as string[]) ?? [])])],
  }
}

const TOKEN = {
  type: 'string',
  pattern: `^${TOKEN_PATTERN.source.replace(/\\b/g, '')}$`,
  description:
    'The token, shown by the calls that mint one and never again. Send it as `Authorization: Token <token>`, `Authorization: Bearer <token>` or `X-API-Key: <token>`.',
  readOnly: true,
}

function keyWithToken(key: JsonSchema): JsonSchema {
  return {
    ...key,
    properties: { ...(key.properties as object), token: TOKEN },
    required: [...(key.required as string[]), 'token'],
  }
}

const SOURCES = ['key', 'organisation', 'default']
const EFFECTIVE_FIELDS = { ...KEY_FIELDS, ...CONFIG_FIELDS }

function effectiveConfig(): JsonSchema {
  const properties: Record<string, JsonSchema> = {}
  for (const [name, fallback] of Object.entries(LIBRARY_DEFAULTS)) {
    const field = EFFECTIVE_FIELDS[name as keyof typeof LIBRARY_DEFAULTS]
    properties[field.wire] = {
      type: 'object',
      description: `${field.doc} The value in use and where it comes from.`,
      properties: {
        value: responseValueSchema(field, fallback === null, name),
        source: { enum: SOURCES },
      },
      required: ['value', 'source'],
      additionalProperties: false,
    }
  }
  return {
    type: 'object',
    properties: {
      resource: { const: 'effective_config' },
      key: { ...scalarSchema('key ID', false, 'key'), description: 'The key.' },
      ...properties,
    },
    required: ['resource', 'key', ...Object.keys(properties)],
    additionalProperties: false,
  }
}

// Counts by outcome, only those that occurred, and their total.
function usageCounts(description: string): JsonSchema {
  const count = { type: 'integer', minimum: 1 }
  return {
    type: 'object',
    description,
    properties: {
      ...Object.fromEntries(USAGE_OUTCOMES.map((outcome) => [outcome, count])),
      total: { type: 'integer', minimum: 0 },
    },
    required: ['total'],
    additionalProperties: false,
  }
}

function keyUsage(): JsonSchema {
  const instant = { type: 'string', format: 'date-time' }
  return {
    type: 'object',
    properties: {
      resource: { const: 'key_usage' },
      key: { ...scalarSchema('key ID', false, 'key'), description: 'The key.' },
      granularity: { enum: ['hour', 'day'] },
      from: { ...instant, description: "The first bucket's start." },
      to: { ...instant, description: 'The end of the last bucket (exclusive).' },
      buckets: {
        type: 'array',
        description: 'Every bucket of the range, oldest first, empty ones included.',
        items: {
          type: 'object',
          properties: {
            start: instant,
            counts: usageCounts("The bucket's verifications by outcome."),
          },
          required: ['start', 'counts'],
          additionalProperties: false,
        },
      },
      totals: usageCounts("The range's verifications by outcome."),
    },
    required: ['resource', 'key', 'granularity', 'from', 'to', 'buckets', 'totals'],
    additionalProperties: false,
  }
}

// NCP shows labels as strings (empty when unset) and names fields its own way (`ncp`).
function ncpApiKey(): JsonSchema {
  const fromSchema: Record<string, JsonSchema> = {}
  for (const [name, field] of Object.entries(KEY_FIELDS)) {
    if (!('ncp' in field)) continue
    const schema =
      'nullable' in field && field.nullable
        ? { type: 'string', description: `${field.doc} Empty when unset.` }
        : { ...scalarSchema(field.type, false, name), description: field.doc }
    fromSchema[field.ncp] = schema
  }
  const slotValue = (slot: string) => ({
    type: ['string', 'null'],
    description: `The ${slot} token: in full when this call regenerated it, else its masked hint; null when the key has no ${slot} token.`,
  })
  const apiKey = {
    ...fromSchema,
    primaryKey: slotValue('primary'),
    secondaryKey: slotValue('secondary'),
    isEnabled: { type: 'boolean', description: 'True when the key is active.' },
    domainCode: {
      type: 'string',
      description: "The router's `domainCode` option (default `PUB`).",
    },
  }
  return {
    type: 'object',
    properties: {
      apiKey: {
        type: 'object',
        properties: apiKey,
        required: Object.keys(apiKey),
        additionalProperties: false,
      },
    },
    required: ['apiKey'],
    additionalProperties: false,
  }
}

/** The error body of every error response. */
function errorSchema(codes: readonly ErrorCode[]): JsonSchema {
  return {
    type: 'object',
    description:
      "The error body ricloud's client reads. `params.field` names the offending field by its wire name.",
    properties: {
      error: { enum: [...codes], description: 'Stable machine-readable code.' },
      message: { type: 'string', description: 'Safe to show; never contains a token.' },
      params: {
        type: 'object',
        properties: {
          field: { type: 'string', description: 'The field at fault, in wire spelling.' },
          from: { type: 'string', description: 'The state the key was in.' },
          to: { type: 'string', description: 'The state the refused action would produce.' },
          actor: { type: 'string', description: 'Who attempted the action.' },
          permission: { type: 'string', description: 'The permission the key lacks.' },
        },
        additionalProperties: false,
      },
    },
    required: ['error', 'message', 'params'],
    additionalProperties: false,
  }
}

/** `components.schemas`: resources, list and NCP envelopes, request bodies, the error body. */
export function componentSchemas(): Record<string, JsonSchema> {
  const key = withResource('key', responseSchema(KEY_FIELDS))
  return {
    Key: key,
    KeyWithToken: keyWithToken(key),
    KeyList: {
      type: 'object',
      properties: {
        resource: { const: 'list' },
        data: { type: 'array', items: ref('Key') },
        has_more: { type: 'boolean', description: 'Whether another page follows.' },
        url: { type: 'string', description: 'The path listed.' },
      },
      required: ['resource', 'data', 'has_more', 'url'],
      additionalProperties: false,
    },
    DeletedKey: {
      type: 'object',
      properties: {
        id: { type: 'string', description: "The deleted key's ID." },
        resource: { const: 'key' },
        deleted: { const: true },
      },
      required: ['id', 'resource', 'deleted'],
      additionalProperties: false,
    },
    Organisation: withResource('organisation', responseSchema(ORGANISATION_FIELDS, ['key'])),
    EffectiveConfig: effectiveConfig(),
    KeyUsage: keyUsage(),
    NcpApiKeyResponse: ncpApiKey(),
    CreateKeyRequest: requestSchema(KEY_FIELDS, 'create'),
    UpdateKeyRequest: requestSchema(KEY_FIELDS, 'patch'),
    UpdateOrganisationRequest: requestSchema(ORGANISATION_FIELDS, 'patch'),
    RotateKeyRequest: requestSchema(ROTATE_OPTIONS, 'create'),
    DeactivateKeyRequest: requestSchema(DEACTIVATE_OPTIONS, 'create'),
    EmptyRequest: requestSchema({}, 'create'),
    RegenerateApiKeyRequest: {
      type: 'object',
      properties: {
        keyType: {
          enum: SLOTS.map((slot) => slot.toUpperCase()),
          description: 'The slot to regenerate.',
        },
      },
      required: ['keyType'],
      additionalProperties: false,
    },
    Error: errorSchema(Object.keys(ERROR_STATUS) as ErrorCode[]),
  }
}
