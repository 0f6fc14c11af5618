import type { Schema } from '../../src/core/schema'
import { KEY_FIELDS, ORGANISATION_FIELDS } from '../../src/core/schema'
import { fieldTable } from '../../src/core/schema/docs'

/** The README's generated tables, by the name in their `<!-- fields:NAME -->` markers. */
export const README_TABLES: Record<string, Schema> = {
  key: KEY_FIELDS,
  organisation: ORGANISATION_FIELDS,
}

/** `readme` with every generated table replaced by its current rendering. */
export function renderReadmeTables(readme: string): string {
  let out = readme
  for (const [name, schema] of Object.entries(README_TABLES)) {
    const start = `<!-- fields:${name}:start -->`
    const end = `<!-- fields:${name}:end -->`
    const from = out.indexOf(start)
    const to = out.indexOf(end)
    if (from === -1 || to < from) throw new Error(`README lacks the ${start} … ${end} markers`)
    out = `${out.slice(0, from + start.length)}\n${fieldTable(schema)}\n${out.slice(to)}`
  }
  return out
}
