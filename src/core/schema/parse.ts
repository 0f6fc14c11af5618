import { invalidInput, KeycycleError } from '../errors'
import type { Actor } from '../types'
import { readObject } from '../validate'
import { type Field, type InputMode, itemPath, joinPath, type Schema, writableNames } from './field'

/**
 * Validates input for `mode` against `schema` and returns the domain values, keeping only the
 * fields present (`undefined` counts as absent). Unknown fields and fields `mode` may not set are
 * `validation` errors, never dropped; `null` is accepted only where the field is nullable; a
 * field reserved to admins, set by anyone else, is `forbidden`. Nested objects (`config`) follow
 * the same rules, and so does each item of a list of records (`rateLimits`), named by its index
 * (`rateLimits[2].windowMs`); inside a record, a `required` field must be given. A field without
 * its own `parse` (such as `organisation`) is returned as given for the caller to check. `actor`
 * is null for host-level calls, which may set every field.
 */
export function parseInput(
  schema: Schema,
  input: unknown,
  mode: InputMode,
  actor: Actor | null,
  path = '',
): Record<string, unknown> {
  const names = writableNames(schema, mode)
  const record = readObject(input, path === '' ? 'input' : path, names)
  const out: Record<string, unknown> = {}
  for (const name of names) {
    const value = record[name]
    const field = schema[name]!
    const at = joinPath(path, name)
    if (value === undefined) {
      if (field.required) throw invalidInput(at, 'is required')
      continue
    }
    if (field.admin && actor !== null && actor.kind !== 'admin') {
      throw new KeycycleError('forbidden', `${at}: only an admin may set this field`, {
        details: { field: at, actor: actor.kind },
      })
    }
    if (value === null) {
      if (!field.nullable) throw invalidInput(at, 'may not be null')
      out[name] = null
    } else if (field.fields) {
      out[name] = parseInput(field.fields, value, mode, actor, at)
    } else if (field.items) {
      out[name] = parseList(field, field.items, value, mode, actor, at)
    } else {
      out[name] = field.parse ? field.parse(value, at) : value
    }
  }
  return out
}

// A list is set whole: every item is a complete record, absent fields taking their default.
function parseList(
  field: Field,
  items: Schema,
  value: unknown,
  mode: InputMode,
  actor: Actor | null,
  at: string,
): unknown {
  if (!Array.isArray(value)) {
    throw invalidInput(at, `must be an array of objects${field.nullable ? ', or null' : ''}`)
  }
  if (field.maxItems !== undefined && value.length > field.maxItems) {
    throw invalidInput(at, `at most ${field.maxItems} entries`)
  }
  const list = value.map((item, i) => {
    const parsed = parseInput(items, item, mode, actor, itemPath(at, i))
    const complete: Record<string, unknown> = {}
    for (const [name, inner] of Object.entries(items)) {
      const v = name in parsed ? parsed[name] : inner.default
      if (v !== undefined) complete[name] = v
    }
    return complete
  })
  return field.parse ? field.parse(list, at) : list
}
