import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import type { CompiledQuery } from 'kysely'

// A parameter's placeholder while a statement is built: a string no caller's value can be,
// found again in the compiled parameters to learn which position takes which named value.
const MARK = '\u0000keycycle:'

/**
 * A statement built and compiled once, through the host's Kysely (so quoting and placeholders
 * are the dialect's own), then run many times with new values for its named parameters.
 */
export interface Statement<P extends string> {
  readonly compiled: CompiledQuery
  /** A name unique to the SQL text, for drivers that prepare statements by name (pg). */
  readonly name: string
  /** The compiled parameters, in order, with `values` in place of the named ones. */
  parameters(values: Readonly<Record<P, unknown>>): unknown[]
}

/**
 * Builds a statement once. `build` receives `param(name)`, a placeholder usable wherever a value
 * goes (typed as `never`, so it fits any column); every other value stays a constant.
 */
export function compileOnce<P extends string>(
  build: (param: (name: P) => never) => CompiledQuery,
): Statement<P> {
  const compiled = build((name) => `${MARK}${name}` as never)
  const slots = compiled.parameters.map((value) =>
    typeof value === 'string' && value.startsWith(MARK)
      ? { name: value.slice(MARK.length) as P }
      : { constant: value },
  )
  return {
    compiled,
    name: `keycycle_${bytesToHex(sha256(utf8ToBytes(compiled.sql))).slice(0, 24)}`,
    parameters: (values) =>
      slots.map((slot) => ('name' in slot ? values[slot.name] : slot.constant)),
  }
}
