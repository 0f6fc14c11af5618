// Rewrites the README's field tables from the schemas: `npm run readme:fields`.
// test/core/schema.test.ts fails when the README is out of date.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { README_TABLES, renderReadmeTables } from '../test/helpers/readme-tables'

const file = join(import.meta.dirname, '..', 'README.md')
const before = readFileSync(file, 'utf8')
const after = renderReadmeTables(before)
writeFileSync(file, after)
console.log(
  after === before
    ? 'README field tables already up to date'
    : `README field tables rewritten: ${Object.keys(README_TABLES).join(', ')}`,
)
