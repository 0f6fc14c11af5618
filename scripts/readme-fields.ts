// Rewrites the field tables from the schemas, in whichever document holds them (docs/fields.md):
// `npm run readme:fields`. test/core/schema.test.ts fails when a table is out of date.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { FIELD_TABLES, fieldTableFiles, renderFieldTables } from '../test/helpers/field-tables'
import { ROOT, readDoc } from '../test/helpers/markdown'

for (const file of fieldTableFiles()) {
  const before = readDoc(file)
  const after = renderFieldTables(before)
  writeFileSync(join(ROOT, file), after)
  console.log(
    after === before
      ? `${file}: field tables already up to date`
      : `${file}: field tables rewritten (${Object.keys(FIELD_TABLES).join(', ')})`,
  )
}
