import type { Field, Schema } from './field'

// Markdown tables: a literal `|` inside a cell must be escaped.
const cell = (text: string) => text.replace(/(?<!\\)\|/g, '\\|')

/** What a nested field inherits from the fields around it: who may set it, and when. */
interface Outer {
  create: boolean
  patch: boolean
  admin: boolean
}

const TOP: Outer = { create: true, patch: true, admin: false }

function within(field: Field, outer: Outer): Outer {
  return {
    create: field.create === true && outer.create,
    patch: field.patch === true && outer.patch,
    admin: field.admin === true || outer.admin,
  }
}

function who(rules: Outer): string {
  const modes = [rules.create && 'create', rules.patch && 'update'].filter(Boolean).join(', ')
  if (modes === '') return 'read only'
  return rules.admin ? `${modes} (admin only)` : modes
}

function typeText(field: Field): string {
  const wire = field.nullable && !field.type.includes('null') ? `${field.type} | null` : field.type
  const notes = [
    field.required ? 'required' : '',
    field.default === undefined ? '' : `default \`${String(field.default)}\``,
  ].filter(Boolean)
  const typed = notes.length === 0 ? wire : `${wire}; ${notes.join(', ')}`
  // Where the JavaScript API speaks otherwise (epoch ms for an ISO 8601 date-time), it says so.
  return field.js === undefined ? typed : `${typed} (JS: ${field.js})`
}

function rows(schema: Schema, prefix: string, wirePrefix: string, outer: Outer): string[] {
  return Object.entries(schema).flatMap(([name, field]) => {
    const domain = `${prefix}${name}`
    const wire = `${wirePrefix}${field.wire}`
    const ncp = field.ncp === undefined ? '' : `\`${field.ncp}\``
    const rules = within(field, outer)
    const row = `| \`${domain}\` | \`${wire}\` | ${ncp} | ${cell(typeText(field))} | ${who(rules)} | ${cell(field.doc)} |`
    // A list's items are named `list[].field`; a nested object's fields `object.field`.
    if (field.items) return [row, ...rows(field.items, `${domain}[].`, `${wire}[].`, rules)]
    if (field.fields) return [row, ...rows(field.fields, `${domain}.`, `${wire}.`, rules)]
    return [row]
  })
}

/**
 * The Markdown table of a schema, as the docs show it: domain name, ricloud wire name, NCP
 * name, type (the wire's, whether a record must give it or what it defaults to, and the
 * JavaScript API's type where it differs), who may set it, meaning. Nested fields follow their
 * parent, dotted; the fields of a list's items follow the list, as `list[].field`.
 */
export function fieldTable(schema: Schema): string {
  return [
    '| field | wire (ricloud) | NCP | type | set by | meaning |',
    '|---|---|---|---|---|---|',
    ...rows(schema, '', '', TOP),
  ].join('\n')
}
