import type { Field, Schema } from './field'

function who(field: Field): string {
  const modes = [field.create && 'create', field.patch && 'update'].filter(Boolean).join(', ')
  if (modes === '') return 'read only'
  return field.admin ? `${modes} (admin only)` : modes
}

function rows(schema: Schema, prefix: string, wirePrefix: string): string[] {
  return Object.entries(schema).flatMap(([name, field]) => {
    const domain = `${prefix}${name}`
    const wire = `${wirePrefix}${field.wire}`
    const ncp = field.ncp === undefined ? '' : `\`${field.ncp}\``
    const nullable = field.nullable && !field.type.includes('null') ? ' \\| null' : ''
    const row = `| \`${domain}\` | \`${wire}\` | ${ncp} | ${field.type}${nullable} | ${who(field)} | ${field.doc} |`
    return field.fields ? [row, ...rows(field.fields, `${domain}.`, `${wire}.`)] : [row]
  })
}

/**
 * The Markdown table of a schema, as the README shows it: domain name, ricloud wire name, NCP
 * name, type, who may set it, meaning. Nested fields follow their parent, dotted.
 */
export function fieldTable(schema: Schema): string {
  return [
    '| field | wire (ricloud) | NCP | type | set by | meaning |',
    '|---|---|---|---|---|---|',
    ...rows(schema, '', ''),
  ].join('\n')
}
