import { invalidInput } from './errors'
import { isPermissionName, PERMISSION_CHARACTERS } from './permissions'
import {
  MAX_CONFIG_ID_LENGTH,
  MAX_PERMISSION_LENGTH,
  MAX_PERMISSIONS,
  unstorable,
} from './schema/limits'
import type { ConfigId } from './types'

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return `a ${typeof value}`
}

/**
 * Checks that `value` is a plain object whose own keys are all in `allowed` and returns it.
 * Unknown fields are an error, never silently dropped. Keys whose value is `undefined` count
 * as absent.
 */
export function readObject(
  value: unknown,
  field: string,
  allowed: readonly string[],
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidInput(field, `must be an object, got ${describe(value)}`)
  }
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null)
    throw invalidInput(field, 'must be a plain object')
  const record = value as Record<string, unknown>
  for (const name of Object.keys(record)) {
    if (record[name] !== undefined && !allowed.includes(name)) {
      throw invalidInput(field === 'input' ? name : `${field}.${name}`, 'is not a known field')
    }
  }
  return record
}

/**
 * Reads a non-empty string of at most `max` UTF-16 code units that every store can hold
 * unchanged: no U+0000 and no lone surrogate (see `unstorable`).
 */
export function readString(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string')
    throw invalidInput(field, `must be a string, got ${describe(value)}`)
  if (value.length === 0 || value.length > max) {
    throw invalidInput(field, `must be 1 to ${max} characters`)
  }
  const problem = unstorable(value)
  if (problem !== null) throw invalidInput(field, problem)
  return value
}

/** A string label or null (to clear it). */
export function readText(value: unknown, field: string, max: number): string | null {
  return value === null ? null : readString(value, field, max)
}

/**
 * An opaque config ID: a non-empty string or a safe integer, kept exactly as given, except that
 * `-0` reads as `0` (JSON, and so every store but memory, cannot tell them apart).
 */
export function readConfigId(value: unknown, field: string): ConfigId {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw invalidInput(field, 'must be an integer or a string')
    return value === 0 ? 0 : value
  }
  if (typeof value === 'string') return readString(value, field, MAX_CONFIG_ID_LENGTH)
  throw invalidInput(field, `must be a string or an integer, got ${describe(value)}`)
}

/** A config ID or null ("use the organisation default"). */
export function readOptionalConfigId(value: unknown, field: string): ConfigId | null {
  return value === null ? null : readConfigId(value, field)
}

export function readBoolean(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean')
    throw invalidInput(field, `must be a boolean, got ${describe(value)}`)
  return value
}

/** An integer in [min, max]. */
export function readInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidInput(field, `must be an integer from ${min} to ${max}`)
  }
  return value
}

/** An epoch-millisecond timestamp. */
export function readEpochMs(value: unknown, field: string): number {
  return readInteger(value, field, 1, 8.64e15)
}

/** One of a fixed set of strings. */
export function readEnum<T extends string>(
  value: unknown,
  field: string,
  options: readonly T[],
): T {
  if (typeof value !== 'string' || !options.includes(value as T)) {
    throw invalidInput(field, `must be one of ${options.join(', ')}`)
  }
  return value as T
}

/**
 * A permission list: at most `MAX_PERMISSIONS` strings of `[A-Za-z0-9_.:*\/-]`, 1 to
 * `MAX_PERMISSION_LENGTH` characters each. Duplicates are dropped, first occurrence kept.
 */
export function readPermissions(value: unknown, field: string): string[] {
  if (!Array.isArray(value)) throw invalidInput(field, `must be an array, got ${describe(value)}`)
  if (value.length > MAX_PERMISSIONS)
    throw invalidInput(field, `at most ${MAX_PERMISSIONS} entries`)
  for (const [i, item] of value.entries()) {
    if (!isPermissionName(item)) {
      throw invalidInput(
        `${field}[${i}]`,
        `must be 1–${MAX_PERMISSION_LENGTH} characters of ${PERMISSION_CHARACTERS}`,
      )
    }
  }
  return [...new Set(value as string[])]
}
