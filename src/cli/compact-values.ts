import { UsageError } from './cli-errors'
import { parseDuration } from './values'

// A command line has no syntax for a record or a list of records, so each such field of the
// schema is written in a compact form of its own, declared here by its domain path. A record
// field with no form here gets a flag per member instead (`--key-name`); a list of records with
// none is an error when the flags are built, so it cannot reach the CLI undescribed.

/** How one record field, or a list of records, is written on the command line. */
export interface CompactForm {
  /** The flag's name, when not the field's own (`rate-limit` for `rateLimits`). */
  flag?: string
  /** `<name:limit/window[:organisation]>`. */
  placeholder: string
  /** The syntax in words, for the help. */
  syntax: string
  /** The domain value of one given text (`null` is read before, for nullable fields). */
  parse(text: string): unknown
  /**
   * The members of the record this value sets; the others get flags of their own. Absent, the
   * value is the whole record (or list).
   */
  covers?: readonly string[]
  /** Makes the flag repeatable: combines every value given into the field's value. */
  combine?(values: unknown[]): unknown
}

const DIGITS = /^\d{1,16}$/

/** Digits as an integer; the service checks the range. */
function count(text: string, what: string): number {
  if (!DIGITS.test(text)) throw new UsageError(`expected ${what} as a whole number`)
  return Number(text)
}

/** A duration with a unit (`60s`, `1h`, `1.5d`), or a whole number of milliseconds. */
function interval(text: string): number {
  if (DIGITS.test(text)) return Number(text)
  return parseDuration(text)
}

// Stands for "no limits of the key's own" (`[]`), beside `null` ("the organisation's").
const NONE = Symbol('none')

const RATE_LIMIT = /^([^:/]+):([^:/]+)\/([^:/]+)(?::([^:/]*))?$/

function rateLimit(text: string): unknown {
  if (text === 'none') return NONE
  const match = RATE_LIMIT.exec(text)
  if (match === null) {
    throw new UsageError('expected name:limit/window[:organisation], e.g. api:100/60s')
  }
  const [, name = '', limit = '', window = '', scope] = match
  if (scope !== undefined && scope !== 'key' && scope !== 'organisation') {
    throw new UsageError('expected the scope key or organisation after the window')
  }
  return {
    name,
    limit: count(limit, 'the limit'),
    windowMs: interval(window),
    ...(scope === undefined ? {} : { scope }),
  }
}

function rateLimits(values: unknown[]): unknown {
  const special = values.filter((v) => v === null || v === NONE)
  if (special.length === 0) return values
  if (values.length > 1) {
    throw new UsageError('none and null stand alone: give them without other limits')
  }
  return special[0] === NONE ? [] : null
}

/** The compact forms, by the domain path of the field they write. */
export const COMPACT_FORMS: Readonly<Record<string, CompactForm>> = {
  rateLimits: {
    flag: 'rate-limit',
    placeholder: '<name:limit/window[:organisation]>',
    syntax:
      'Repeat it for each limit: name:limit/window, the window a duration (60s, 1h) or ms, with :organisation for a budget shared by the organisation (e.g. api:100/60s). `none`: an empty list.',
    parse: rateLimit,
    combine: rateLimits,
  },
  credits: {
    placeholder: '<remaining>',
    syntax: 'The value is the balance (`remaining`).',
    parse: (text) => ({ remaining: count(text, 'the balance') }),
    covers: ['remaining'],
  },
  'credits.refill': {
    placeholder: '<amount/interval>',
    syntax: 'amount/interval, the interval a duration (1h, 30d) or ms: e.g. 1000/1d.',
    parse: (text) => {
      const match = /^([^/]+)\/([^/]+)$/.exec(text)
      if (match === null) throw new UsageError('expected amount/interval, e.g. 1000/1d')
      return { amount: count(match[1]!, 'the amount'), intervalMs: interval(match[2]!) }
    },
  },
}
