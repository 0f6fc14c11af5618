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
    parameters: (values) =>
      slots.map((slot) => ('name' in slot ? values[slot.name] : slot.constant)),
  }
}
