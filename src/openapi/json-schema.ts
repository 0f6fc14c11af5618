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

/**
 * The request body schema for `mode` (`create` or `patch`): every field that mode may set, by its
 * wire name, none required, nothing else accepted (an unknown field is 400 `validation`). A
 * nullable field accepts `null`, which clears it. Nested objects follow the same rules.
 */
export function requestSchema(schema: Schema, mode: InputMode): JsonSchema {
  const properties: Record<string, JsonSchema> = {}
  for (const [name, field] of Object.entries(schema)) {
    if (field[mode] !== true) continue
    const description = describe(field, requestNotes(field))
    if (field.fields) {
      const nested = requestSchema(field.fields, mode)
      const type = field.nullable ? ['object', 'null'] : 'object'
      properties[field.wire] = { ...nested, type, description }
    } else {
      properties[field.wire] = {
        ...scalarSchema(field.type, field.nullable === true, name),
        description,
      }
    }
  }
  return { type: 'object', properties, additionalProperties: false }
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
 * The schema of a resource as responses show it: every field by its wire name except those in
 * `inputOnly`, all required (absent values are `null`), read-only ones marked `readOnly`, nothing
 * else allowed. Inside an override map (`config`) fields are optional and never `null`: a cleared
 * override is absent.
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
    if (field.fields) {
      const nested = responseSchema(field.fields, [], field)
      const nullable = field.type.endsWith('| null')
      properties[field.wire] = {
        ...nested,
        type: nullable ? ['object', 'null'] : 'object',
        description,
        ...marks,
      }
    } else {
      const nullable = !optional && field.nullable === true
      properties[field.wire] = {
        ...scalarSchema(field.type, nullable, name),
        description,
        ...marks,
      }
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
