import type { Schema } from '../../src/core/schema'
import { KEY_FIELDS, ORGANISATION_FIELDS } from '../../src/core/schema'
import { fieldTable } from '../../src/core/schema/docs'
import { markedSection } from './markdown'

/** The generated field tables, by the name in their `<!-- fields:NAME:start -->` markers. */
export const FIELD_TABLES: Record<string, Schema> = {
  key: KEY_FIELDS,
  organisation: ORGANISATION_FIELDS,
}

/**
 * The documents (README.md or a guide under docs/) that hold the field tables. Throws unless
 * each table's markers stand in exactly one document, so the check cannot pass by losing one.
 */
export function fieldTableFiles(): string[] {
  return [...new Set(Object.keys(FIELD_TABLES).map((name) => markedSection(`fields:${name}`).file))]
}

/** `markdown` with every generated table it holds replaced by its current rendering. */
export function renderFieldTables(markdown: string): string {
  let out = markdown
  for (const [name, schema] of Object.entries(FIELD_TABLES)) {
    const start = `<!-- fields:${name}:start -->`
    const end = `<!-- fields:${name}:end -->`
    const from = out.indexOf(start)
    const to = out.indexOf(end)
    if (from === -1 || to < from) continue
    out = `${out.slice(0, from + start.length)}\n${fieldTable(schema)}\n${out.slice(to)}`
  }
  return out
}
