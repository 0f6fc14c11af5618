import { invalidInput } from '../errors'
import { readBoolean, readConfigId, readEpochMs, readPermissions, readString } from '../validate'

// Reusable parts of field declarations: how a kind of value is validated and how it travels.

/** A label: 1–`max` characters. */
export const text = (max: number) => ({
  type: `string (1–${max})`,
  parse: (value: unknown, path: string) => readString(value, path, max),
})

/** An opaque config ID: a string or an integer, kept with its JSON type (`2` stays `2`). */
export const configId = {
  type: 'string (1–255) | integer',
  parse: (value: unknown, path: string) => readConfigId(value, path),
}

export const boolean = {
  type: 'boolean',
  parse: (value: unknown, path: string) => readBoolean(value, path),
}

export const permissions = {
  type: 'string[] (≤ 100 of [A-Za-z0-9_.:*/-]{1,128})',
  parse: (value: unknown, path: string) => readPermissions(value, path),
}

const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/

/**
 * An instant: epoch ms in the domain, an ISO 8601 date-time with a zone on the wire (read with
 * any offset, written in UTC with milliseconds).
 */
export const instant = {
  type: 'ISO 8601 date-time',
  parse: (value: unknown, path: string) => readEpochMs(value, path),
  toWire: (value: unknown) => (typeof value === 'number' ? new Date(value).toISOString() : value),
  fromWire: (value: unknown, path: string) => {
    const ms =
      typeof value === 'string' && ISO_DATE_TIME.test(value) ? Date.parse(value) : Number.NaN
    if (Number.isNaN(ms)) throw invalidInput(path, 'must be an ISO 8601 date-time with a time zone')
    return ms
  },
}

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
