import type { Field, InputMode, Schema } from '../core/schema'
import { type JsonSchema, scalarSchema } from '../openapi/json-schema'
import { UsageError } from './cli-errors'
import type { OptionSpec } from './command-line'
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

function collect(schema: Schema, mode: InputMode, path: string[], prefix: string) {
  const out: { flag: string; path: string[]; field: Field }[] = []
  for (const [name, field] of Object.entries(schema)) {
    if (field[mode] !== true) continue
    if (field.fields) {
      // `config` holds the settings themselves (`--publish-source-files`); other nested objects
      // name their fields after themselves (`--key-name`).
      const nested = name === 'config' ? prefix : `${prefix}${kebab(name)}-`
      out.push(...collect(field.fields, mode, [...path, name], nested))
    } else {
      out.push({ flag: `${prefix}${kebab(name)}`, path: [...path, name], field })
    }
  }
  return out
}

/**
 * A flag for every field `mode` may set in `schema`, typed and described from the field schema,
 * for a command's options and for {@link inputFromFlags} and {@link flagName}.
 */
export function schemaFlags(schema: Schema, mode: InputMode): Flag[] {
  return collect(schema, mode, [], '').map(({ flag, path, field }) => {
    const where = path.join('.')
    const json = scalarSchema(field.type, field.nullable === true, where)
    const alias = ALIASES[path.at(-1)!]
    const value = placeholder(json)
    const notes = [
      field.doc,
      field.admin ? 'Admin only.' : '',
      // Unless the field's own doc already says what `null` does.
      field.nullable && !field.doc.includes('`null`') ? '`null` clears it.' : '',
    ]
    const option: OptionSpec = {
      name: flag,
      description: notes.filter(Boolean).join(' '),
      ...(alias ? { alias } : {}),
      ...(value === '' ? {} : { placeholder: value, parse: valueParser(json) }),
      ...(value.startsWith('[') ? { preset: 'true' } : {}),
    }
    return { flag: `--${flag}`, attribute: camel(flag), path, option }
  })
}

/** The domain input the given flags describe: only the flags present, nested by path. */
export function inputFromFlags(flags: Flag[], values: Record<string, unknown>) {
  const input: Record<string, unknown> = {}
  for (const { attribute, path } of flags) {
    const value = values[attribute]
    if (value === undefined) continue
    let target = input
    for (const part of path.slice(0, -1)) {
      target[part] ??= {}
      target = target[part] as Record<string, unknown>
    }
    target[path.at(-1)!] = value
  }
  return input
}

/**
 * The flag that sets a domain field path as errors name it (`config.publishSourceFiles`,
 * `permissions[2]`), or undefined when no flag of `flags` does.
 */
export function flagName(flags: Flag[], field: string): string | undefined {
  const base = field.replace(/\[\d+\]$/, '')
  return flags.find((f) => f.path.join('.') === base)?.flag
}
