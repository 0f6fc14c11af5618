import type { Field, Schema } from './field'

// Markdown tables: a literal `|` inside a cell must be escaped.
const cell = (text: string) => text.replace(/(?<!\\)\|/g, '\\|')

function who(field: Field, parent: Field | undefined): string {
  const can = (mode: 'create' | 'patch') => field[mode] === true && (parent?.[mode] ?? true)
  const modes = [can('create') && 'create', can('patch') && 'update'].filter(Boolean).join(', ')
  if (modes === '') return 'read only'
  return field.admin || parent?.admin ? `${modes} (admin only)` : modes
}

function rows(schema: Schema, prefix: string, wirePrefix: string, parent?: Field): string[] {
  return Object.entries(schema).flatMap(([name, field]) => {
    const domain = `${prefix}${name}`
    const wire = `${wirePrefix}${field.wire}`
    const ncp = field.ncp === undefined ? '' : `\`${field.ncp}\``
    const wireType =
      field.nullable && !field.type.includes('null') ? `${field.type} | null` : field.type
    // Where the JavaScript API speaks otherwise (epoch ms for an ISO 8601 date-time), it says so.
    const type = field.js === undefined ? wireType : `${wireType} (JS: ${field.js})`
    const row = `| \`${domain}\` | \`${wire}\` | ${ncp} | ${cell(type)} | ${who(field, parent)} | ${cell(field.doc)} |`
    return field.fields ? [row, ...rows(field.fields, `${domain}.`, `${wire}.`, field)] : [row]
  })
}

/**
 * The Markdown table of a schema, as the README shows it: domain name, ricloud wire name, NCP
 * name, type (the wire's, and the JavaScript API's where it differs), who may set it, meaning. Nested fields follow their parent, dotted.
 */
export function fieldTable(schema: Schema): string {
  return [
    '| field | wire (ricloud) | NCP | type | set by | meaning |',
    '|---|---|---|---|---|---|',
    ...rows(schema, '', ''),
  ].join('\n')
}
