import { invalidInput } from '../errors'
import { readObject } from '../validate'
import { type Field, type InputMode, itemPath, joinPath, type Schema, writableNames } from './field'

// Errors raised while reading wire input already name fields in wire spelling; the HTTP layer
// must not translate them again (a client sending `expiresAt` must hear `expiresAt`).
const WIRE_ERRORS = new WeakSet<object>()

/** True when `error` names its field in wire spelling already. */
export function namesWireField(error: unknown): boolean {
  return typeof error === 'object' && error !== null && WIRE_ERRORS.has(error)
}

function readWire(
  schema: Schema,
  body: unknown,
  mode: InputMode,
  path: string,
): Record<string, unknown> {
  const names = writableNames(schema, mode)
  const byWire = new Map(names.map((name) => [schema[name]!.wire, name]))
  const record = readObject(body, path === '' ? 'input' : path, [...byWire.keys()])
  const out: Record<string, unknown> = {}
  for (const [wire, value] of Object.entries(record)) {
    if (value === undefined) continue
    const name = byWire.get(wire)!
    const field = schema[name]!
    const at = joinPath(path, wire)
    const { fields, items } = field
    if (value === null) out[name] = null
    else if (fields) out[name] = readWire(fields, value, mode, at)
    else if (items && Array.isArray(value)) {
      out[name] = value.map((item, i) => readWire(items, item, mode, itemPath(at, i)))
    }
    // Anything else, a list that is not an array included, is left for the service to refuse.
    else out[name] = field.fromWire ? field.fromWire(value, at) : value
  }
  return out
}

/**
 * Translates a JSON body in wire spelling into domain input for `mode`: wire names to domain
 * names, wire encodings (ISO dates) to domain values. Only the fields `mode` may set are
 * accepted; anything else is a `validation` error naming the wire field. Values are otherwise
 * left to the service to validate. An absent body (`undefined` or JSON `null`) is `{}`.
 */
export function inputFromWire<T = Record<string, unknown>>(
  schema: Schema,
  body: unknown,
  mode: InputMode,
): T {
  try {
    // The result is only renamed and decoded; callers hand it to a service call that validates.
    return readWire(schema, body ?? {}, mode, '') as T
  } catch (error) {
    if (typeof error === 'object' && error !== null) WIRE_ERRORS.add(error)
    throw error
  }
}

/**
 * A domain object in wire spelling, field by field in schema order. Absent (`undefined`) fields
 * are left out, `null` stays `null`, nested objects and the items of lists of records follow
 * their own schema.
 */
export function toWire(schema: Schema, value: object): Record<string, unknown> {
  const source = value as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const [name, field] of Object.entries(schema)) {
    const v = source[name]
    if (v !== undefined) out[field.wire] = valueToWire(field, v)
  }
  return out
}

/** One field's domain value (not `undefined`) in wire spelling, as {@link toWire} writes it. */
export function valueToWire(field: Field, value: unknown): unknown {
  if (value === null) return null
  if (field.fields) return toWire(field.fields, value as object)
  const { items } = field
  if (items) return (value as object[]).map((item) => toWire(items, item))
  return field.toWire ? field.toWire(value) : value
}

/** A wire-input error about `path` (wire spelling), marked so it is not translated again. */
export function wireInputError(path: string, message: string): Error {
  const error = invalidInput(path, message)
  WIRE_ERRORS.add(error)
  return error
}
