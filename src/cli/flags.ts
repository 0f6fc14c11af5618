import type { Field, InputMode, Schema } from '../core/schema'
import { type JsonSchema, scalarSchema } from '../openapi/json-schema'
import { UsageError } from './cli-errors'
import type { OptionSpec } from './command-line'
import { COMPACT_FORMS, type CompactForm } from './compact-values'
import { parseInstant } from './values'

/** One command-line flag derived from a field of the schema. */
export interface Flag {
  /** `--storage-config`. */
  flag: string
  /** The name its value is kept under (`storageConfig`). */
  attribute: string
  /** The domain path it sets (`['config', 'publishSourceFiles']`). */
  path: string[]
  /** The option as the command line takes it. */
  option: OptionSpec
}

// A shorter spelling kept beside the derived one.
const ALIASES: Readonly<Record<string, string>> = { expiresAt: 'expires' }

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())

function placeholder(schema: JsonSchema): string {
  const types = [schema.type].flat()
  if (Array.isArray(schema.enum)) return `<${schema.enum.filter((v) => v !== null).join('|')}>`
  // A plain switch, unless it can also be cleared: an optional value then (`--x null`).
  if (types.includes('boolean')) return types.includes('null') ? '[true|false|null]' : ''
  if (types.includes('array')) return '<a,b,…>'
  if (schema.format === 'date-time') return '<when>'
  if (types.includes('integer') && types.includes('string')) return '<id>'
  if (types.includes('integer')) return '<n>'
  return '<text>'
}

/**
 * Reads a flag's text as the domain value the field takes, by the field's JSON Schema: `null`
 * where it may be null, `true`/`false`, comma-separated lists, instants (ISO 8601 or a duration
 * from now, e.g. `14d`), digits as integers where an integer is accepted (a config ID `2` stays
 * `2`). Only the syntax is checked here; the service validates the value.
 */
function valueParser(schema: JsonSchema): (text: string) => unknown {
  const types = [schema.type].flat()
  return (text) => {
    if (text === 'null' && types.includes('null')) return null
    if (Array.isArray(schema.enum)) {
      if (!schema.enum.includes(text)) {
        throw new UsageError(`expected one of ${schema.enum.join(', ')}`)
      }
      return text
    }
    if (types.includes('boolean')) {
      if (text === 'true' || text === 'false') return text === 'true'
      throw new UsageError('expected true or false')
    }
    if (types.includes('array')) return text === '' ? [] : text.split(',').map((s) => s.trim())
    if (schema.format === 'date-time') return parseInstant(text, Date.now())
    if (types.includes('integer') && /^-?\d+$/.test(text)) return Number(text)
    if (types.includes('integer') && !types.includes('string')) {
      throw new UsageError('expected an integer')
    }
    return text
  }
}

interface Found {
  flag: string
  path: string[]
  field: Field
  /** Only an admin may set it, or the record around it. */
  admin: boolean
  compact?: CompactForm
}

function collect(
  schema: Schema,
  mode: InputMode,
  path: string[],
  prefix: string,
  admin = false,
): Found[] {
  const out: Found[] = []
  for (const [name, field] of Object.entries(schema)) {
    if (field[mode] !== true) continue
    const at = [...path, name]
    const compact = COMPACT_FORMS[at.join('.')]
    const adminOnly = admin || field.admin === true
    // `config` holds the settings themselves (`--publish-source-files`); other nested objects
    // name their fields after themselves (`--key-name`, `--credits-refill`).
    const nested = name === 'config' ? prefix : `${prefix}${kebab(name)}-`
    if (compact) {
      const flag = `${prefix}${compact.flag ?? kebab(name)}`
      out.push({ flag, path: at, field, admin: adminOnly, compact })
      // The members the compact form leaves out get flags of their own.
      const { covers } = compact
      const rest = Object.entries(field.fields ?? {}).filter(([m]) => covers?.includes(m) === false)
      out.push(...collect(Object.fromEntries(rest), mode, at, nested, adminOnly))
    } else if (field.items) {
      throw new Error(`cli: the list ${at.join('.')} has no command-line form (compact-values.ts)`)
    } else if (field.fields) {
      out.push(...collect(field.fields, mode, at, nested, adminOnly))
    } else {
      out.push({ flag: `${prefix}${kebab(name)}`, path: at, field, admin: adminOnly })
    }
  }
  return out
}

function compactOption(field: Field, compact: CompactForm) {
  return {
    placeholder: compact.placeholder,
    parse: (text: string) => (text === 'null' && field.nullable ? null : compact.parse(text)),
    ...(compact.combine ? { combine: compact.combine } : {}),
  }
}

function scalarOption(field: Field, where: string) {
  const json = scalarSchema(field.type, field.nullable === true, where)
  const value = placeholder(json)
  return value === ''
    ? {}
    : {
        placeholder: value,
        parse: valueParser(json),
        ...(value.startsWith('[') ? { preset: 'true' } : {}),
      }
}

/**
 * A flag for every field `mode` may set in `schema`, typed and described from the field schema,
 * for a command's options and for {@link inputFromFlags} and {@link flagName}. Records and lists
 * of records are written in their compact forms (`--rate-limit api:100/60s`, repeatable).
 */
export function schemaFlags(schema: Schema, mode: InputMode): Flag[] {
  return collect(schema, mode, [], '').map(({ flag, path, field, admin, compact }) => {
    const alias = ALIASES[path.at(-1)!]
    const notes = [
      field.doc,
      compact?.syntax ?? '',
      admin ? 'Admin only.' : '',
      // Unless the field's own doc already says what `null` does.
      field.nullable && !field.doc.includes('`null`') ? '`null` clears it.' : '',
    ]
    const option: OptionSpec = {
      name: flag,
      description: notes.filter(Boolean).join(' '),
      ...(alias ? { alias } : {}),
      ...(compact ? compactOption(field, compact) : scalarOption(field, path.join('.'))),
    }
    return { flag: `--${flag}`, attribute: camel(flag), path, option }
  })
}

/**
 * The domain input the given flags describe: only the flags present, nested by path. A flag
 * inside a record given as `null` (`--credits null --credits-refill 1/1d`) is a usage error.
 */
export function inputFromFlags(flags: Flag[], values: Record<string, unknown>) {
  const input: Record<string, unknown> = {}
  for (const { flag, attribute, path } of flags) {
    const value = values[attribute]
    if (value === undefined) continue
    let target = input
    for (const [i, part] of path.slice(0, -1).entries()) {
      if (target[part] === null) {
        const outer = flags.find((f) => f.path.join('.') === path.slice(0, i + 1).join('.'))
        throw new UsageError(`${flag} cannot be given with ${outer?.flag ?? part} null`)
      }
      target[part] ??= {}
      target = target[part] as Record<string, unknown>
    }
    target[path.at(-1)!] = value
  }
  return input
}

/**
 * The flag that sets a domain field path as errors name it (`config.publishSourceFiles`,
 * `permissions[2]`, `rateLimits[1].windowMs`, `credits.refill.amount`): the flag of the field or
 * of the nearest record or list around it, or undefined when no flag of `flags` sets it.
 */
export function flagName(flags: Flag[], field: string): string | undefined {
  return flagFor(flags, field)?.flag
}

/**
 * The flag {@link flagName} names, with what `field` names below the flag's own path
 * (`[1].windowMs` under `--rate-limit`, `amount` under `--credits-refill`, else empty).
 */
export function flagFor(flags: Flag[], field: string): { flag: string; rest: string } | undefined {
  const unindexed = field.replace(/\[\d+\]/g, '')
  let best: Flag | undefined
  for (const candidate of flags) {
    const domain = candidate.path.join('.')
    if (unindexed !== domain && !unindexed.startsWith(`${domain}.`)) continue
    if (best === undefined || candidate.path.length > best.path.length) best = candidate
  }
  // Flags never sit inside a list's items, so the field names the flag's path unindexed.
  const rest = best && field.slice(best.path.join('.').length).replace(/^\./, '')
  return best && { flag: best.flag, rest: rest ?? '' }
}
