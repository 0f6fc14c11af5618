import type { Field, InputMode, Schema } from '../core/schema'

/** A JSON Schema (2020-12, OpenAPI 3.1's dialect), as plain data. */
export type JsonSchema = { [keyword: string]: unknown }

// The field schema states each type as the README shows it (`string (1–255) | integer | null`).
// This reads those strings back into JSON Schema, alternative by alternative; a type it does not
// know is an error, so a new kind of field cannot reach the document undescribed.

const KEY_ID_PATTERN = '^key_[0-7][0-9A-HJKMNP-TV-Z]{25}$'

type Alternative = { types: string[]; keywords: JsonSchema }

function alternative(text: string, where: string): Alternative {
  const enumerated = /^`([^`]+)`$/.exec(text)
  if (enumerated) return { types: ['string'], keywords: { enum: [enumerated[1]] } }
  const bounded = /^string \((\d+)–(\d+)\)$/.exec(text)
  if (bounded) {
    return {
      types: ['string'],
      keywords: { minLength: Number(bounded[1]), maxLength: Number(bounded[2]) },
    }
  }
  const json = /^object \(JSON, ≤ (\d+) bytes encoded\)$/.exec(text)
  if (json) {
    // Host-defined: any JSON object; its size bound is on the encoding, which JSON Schema cannot
    // state, so it is said in words.
    return {
      types: ['object'],
      keywords: { description: `Any JSON object, at most ${json[1]} bytes as UTF-8 JSON.` },
    }
  }
  const list = /^string\[\] \(≤ (\d+) of (.+)\)$/.exec(text)
  if (list) {
    const items = { type: 'string', pattern: `^${list[2]}$` }
    return { types: ['array'], keywords: { maxItems: Number(list[1]), items } }
  }
  const integer = /^integer \((\d+)–(\d+)\)$/.exec(text)
  if (integer) {
    return {
      types: ['integer'],
      keywords: { minimum: Number(integer[1]), maximum: Number(integer[2]) },
    }
  }
  const patterned = /^string \((\[[^\]]+\]\{\d+,\d+\})\)$/.exec(text)
  if (patterned) return { types: ['string'], keywords: { pattern: `^${patterned[1]}$` } }
  const ips = /^string\[\] \((\d+)–(\d+) IP addresses or CIDR blocks\)$/.exec(text)
  if (ips) {
    const items = {
      type: 'string',
      description:
        'An IPv4 or IPv6 address (`192.0.2.1`, `2001:db8::1`) or CIDR block (`10.0.0.0/8`, `2001:db8::/32`).',
    }
    return {
      types: ['array'],
      keywords: { minItems: Number(ips[1]), maxItems: Number(ips[2]), items },
    }
  }
  switch (text) {
    case 'string':
    case 'integer':
    case 'boolean':
    case 'null':
    case 'object':
      return { types: [text], keywords: {} }
    case 'ISO 8601 date-time':
      return { types: ['string'], keywords: { format: 'date-time' } }
    case 'key ID':
      return { types: ['string'], keywords: { pattern: KEY_ID_PATTERN } }
  }
  throw new Error(`openapi: ${where}: no JSON Schema for the type "${text}"`)
}

/**
 * The JSON Schema of a scalar field type as the schema states it. Alternatives are merged into
 * one `type` list (their keywords apply to their own JSON type only: `minLength` never constrains
 * an integer), enumerations into one `enum`. `nullable` adds `null`.
 */
export function scalarSchema(type: string, nullable: boolean, where: string): JsonSchema {
  const parts = type.split(' | ').map((text) => alternative(text.trim(), where))
  const types = [...new Set(parts.flatMap((p) => p.types))]
  if (nullable && !types.includes('null')) types.push('null')
  const enums = parts.flatMap((p) => (p.keywords.enum as unknown[] | undefined) ?? [])
  const keywords = Object.assign({}, ...parts.map((p) => p.keywords)) as JsonSchema
  if (enums.length > 0) keywords.enum = types.includes('null') ? [...enums, null] : enums
  return { type: types.length === 1 ? types[0] : types, ...keywords }
}

// `object` fields (config) hold overrides: each may be set or not, and a cleared one is absent.
// Other nested fields (token slots) are records whose fields are always there.
const isOverrideMap = (field: Field) => field.type === 'object'

function describe(field: Field, extra: string[]): string {
  return [field.doc, ...extra].join(' ')
}

/** Who may set a field, in a request schema's description. */
function requestNotes(field: Field): string[] {
  const notes: string[] = []
  if (field.admin)
    notes.push('Admin only: from an organisation it is refused with 403 `forbidden`.')
  return notes
}

/** A list of records (`items`) or a nested object, around the schema of its contents. */
function container(field: Field, inner: JsonSchema, nullable: boolean): JsonSchema {
  const type = field.items ? 'array' : 'object'
  const typed = { type: nullable ? [type, 'null'] : type }
  if (!field.items) return { ...inner, ...typed }
  const bound = field.maxItems === undefined ? {} : { maxItems: field.maxItems }
  return { ...typed, ...bound, items: inner }
}

/**
 * The request body schema for `mode` (`create` or `patch`): every field that mode may set, by its
 * wire name, none required but a record's `required` fields, nothing else accepted (an unknown
 * field is 400 `validation`). A nullable field accepts `null`, which clears it. Nested objects
 * and the items of lists follow the same rules; a default is stated as the schema's `default`.
 */
export function requestSchema(schema: Schema, mode: InputMode): JsonSchema {
  const properties: Record<string, JsonSchema> = {}
  const required: string[] = []
  for (const [name, field] of Object.entries(schema)) {
    if (field[mode] !== true) continue
    const description = describe(field, requestNotes(field))
    const inner = field.fields ?? field.items
    const value = inner
      ? container(field, requestSchema(inner, mode), field.nullable === true)
      : scalarSchema(field.type, field.nullable === true, name)
    const fallback = field.default === undefined ? {} : { default: field.default }
    properties[field.wire] = { ...value, ...fallback, description }
    if (field.required) required.push(field.wire)
  }
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
  }
}

function readOnly(field: Field, parent: Field | undefined): boolean {
  const settable = (f: Field) => f.create === true || f.patch === true
  return !settable(field) || (parent !== undefined && !settable(parent))
}

function responseNotes(field: Field): string[] {
  const notes: string[] = []
  if (field.admin) notes.push('Set by admins only.')
  if (field.create && !field.patch) notes.push('Set when the resource is created, never changed.')
  return notes
}

/**
 * The schema of one field's value as responses show it: `nullable` adds `null`. Nested objects
 * and lists of records follow {@link responseSchema}.
 */
export function responseValueSchema(field: Field, nullable: boolean, where: string): JsonSchema {
  const inner = field.fields ?? field.items
  if (!inner) return scalarSchema(field.type, nullable, where)
  return container(field, responseSchema(inner, [], field), nullable)
}

/**
 * The schema of a resource as responses show it: every field by its wire name except those in
 * `inputOnly`, all required (absent values are `null`), read-only ones marked `readOnly`, nothing
 * else allowed. Inside an override map (`config`) fields are optional and never `null`: a cleared
 * override is absent; the override map itself is never `null` either (cleared, it is `{}`).
 */
export function responseSchema(
  schema: Schema,
  inputOnly: readonly string[] = [],
  parent?: Field,
): JsonSchema {
  const properties: Record<string, JsonSchema> = {}
  const required: string[] = []
  const optional = parent !== undefined && isOverrideMap(parent)
  for (const [name, field] of Object.entries(schema)) {
    if (inputOnly.includes(name)) continue
    const description = describe(field, responseNotes(field))
    const marks = readOnly(field, parent) ? { readOnly: true } : {}
    const nullable =
      !optional &&
      (field.type.endsWith('| null') || (field.nullable === true && !isOverrideMap(field)))
    properties[field.wire] = {
      ...responseValueSchema(field, nullable, name),
      description,
      ...marks,
    }
    if (!optional) required.push(field.wire)
  }
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
  }
}
