import { invalidInput } from '../errors'
import {
  readBoolean,
  readConfigId,
  readEpochMs,
  readInteger,
  readPermissions,
  readString,
} from '../validate'
import {
  MAX_CONFIG_ID_LENGTH,
  MAX_METADATA_BYTES,
  MAX_PERMISSION_LENGTH,
  MAX_PERMISSIONS,
  unstorable,
} from './limits'

// Reusable parts of field declarations: how a kind of value is validated and how it travels.

/** A label: 1–`max` characters. */
export const text = (max: number) => ({
  type: `string (1–${max})`,
  parse: (value: unknown, path: string) => readString(value, path, max),
})

/** An opaque config ID: a string or an integer, kept with its JSON type (`2` stays `2`). */
export const configId = {
  type: `string (1–${MAX_CONFIG_ID_LENGTH}) | integer`,
  parse: (value: unknown, path: string) => readConfigId(value, path),
}

/** An integer from `min` to `max`, both included. */
export const integer = (min: number, max: number) => ({
  type: `integer (${min}–${max})`,
  parse: (value: unknown, path: string) => readInteger(value, path, min, max),
})

/** A machine name: 1–`max` of `[a-z0-9_-]`. */
export const slug = (max: number) => {
  const pattern = new RegExp(`^[a-z0-9_-]{1,${max}}$`)
  return {
    type: `string ([a-z0-9_-]{1,${max}})`,
    parse: (value: unknown, path: string) => {
      if (typeof value !== 'string' || !pattern.test(value)) {
        throw invalidInput(path, `must be 1 to ${max} characters of a-z, 0-9, _ and -`)
      }
      return value
    },
  }
}

export const boolean = {
  type: 'boolean',
  parse: (value: unknown, path: string) => readBoolean(value, path),
}

export const permissions = {
  type: `string[] (≤ ${MAX_PERMISSIONS} of [A-Za-z0-9_.:*/-]{1,${MAX_PERMISSION_LENGTH}})`,
  parse: (value: unknown, path: string) => readPermissions(value, path),
}

const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/

/**
 * An instant as the JavaScript API takes it: integer epoch ms, or a `Date`.
 * @inline
 */
export type InstantInput = number | Date

/**
 * An instant given to the JavaScript API, as epoch ms: a valid `Date` (its `getTime()`) or an
 * integer epoch ms, else `validation` naming `path` (an Invalid Date included). Only reads the
 * value it is given, never the clock.
 */
export function readInstant(value: unknown, path: string): number {
  if (value instanceof Date) {
    const ms = value.getTime()
    if (Number.isNaN(ms)) throw invalidInput(path, 'must be a valid date, got an invalid one')
    return readEpochMs(ms, path)
  }
  if (typeof value !== 'number') throw invalidInput(path, 'must be a date or integer epoch ms')
  return readEpochMs(value, path)
}

/**
 * An instant: epoch ms in the domain (the JavaScript API also takes a `Date`, see
 * {@link readInstant}), an ISO 8601 date-time with a zone on the wire (read with any offset,
 * written in UTC with milliseconds).
 */
export const instant = {
  type: 'ISO 8601 date-time',
  js: 'epoch ms',
  parse: readInstant,
  toWire: (value: unknown) => (typeof value === 'number' ? new Date(value).toISOString() : value),
  fromWire: (value: unknown, path: string) => {
    const ms =
      typeof value === 'string' && ISO_DATE_TIME.test(value) ? Date.parse(value) : Number.NaN
    if (Number.isNaN(ms)) throw invalidInput(path, 'must be an ISO 8601 date-time with a time zone')
    return ms
  },
}

/** An instant callers set: as {@link instant}, and the JavaScript API takes a `Date` too. */
export const settableInstant = { ...instant, js: '`Date` or epoch ms in, epoch ms out' }

/** One of a fixed set of strings. */
export const oneOf = (options: readonly string[]) => ({
  type: options.map((o) => `\`${o}\``).join(' | '),
  parse: (value: unknown, path: string) => {
    if (typeof value !== 'string' || !options.includes(value)) {
      throw invalidInput(path, `must be one of ${options.join(', ')}`)
    }
    return value
  },
})

/** A read-only value shown as stored. */
export const shown = (type: string) => ({ type })

function describeJson(value: unknown): string | null {
  if (typeof value === 'string') return unstorable(value)
  if (value === null || typeof value === 'boolean') return null
  if (typeof value === 'number') return Number.isFinite(value) ? null : 'must be a finite number'
  if (Array.isArray(value)) return null
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value)
    return proto === Object.prototype || proto === null ? null : 'must be a plain JSON object'
  }
  return `must be a JSON value, got a ${typeof value}`
}

// Walks a value and names the first thing JSON cannot hold, by its path.
function checkJson(value: unknown, path: string): void {
  const problem = describeJson(value)
  if (problem !== null) throw invalidInput(path, problem)
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) checkJson(item, `${path}[${i}]`)
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      // Named by the object that holds it: the key itself cannot be echoed safely.
      const problem = unstorable(key)
      if (problem !== null) throw invalidInput(path, `a key ${problem}`)
      checkJson(inner, `${path}.${key}`)
    }
  }
}

// UTF-8 length without TextEncoder, which the core (compiled without DOM or Node types) lacks.
function utf8Length(text: string): number {
  let bytes = 0
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x80) bytes += 1
    else if (code < 0x800) bytes += 2
    else if (code >= 0xd800 && code < 0xdc00 && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next < 0xe000) {
        bytes += 4
        i++
      } else bytes += 3
    } else bytes += 3
  }
  return bytes
}

/**
 * A host-defined JSON object: string keys, JSON values, at most `MAX_METADATA_BYTES` encoded;
 * no key or string may hold what `unstorable` refuses.
 */
export const jsonObject = {
  type: `object (JSON, ≤ ${MAX_METADATA_BYTES} bytes encoded)`,
  parse: (value: unknown, path: string) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw invalidInput(path, 'must be a JSON object')
    }
    checkJson(value, path)
    const encoded = JSON.stringify(value)
    const bytes = utf8Length(encoded)
    if (bytes > MAX_METADATA_BYTES) {
      throw invalidInput(path, `must be at most ${MAX_METADATA_BYTES} bytes as JSON, got ${bytes}`)
    }
    // A copy, so later changes to the caller's object cannot reach the stored one.
    return JSON.parse(encoded)
  },
}
