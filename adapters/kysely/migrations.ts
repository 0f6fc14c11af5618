import type { Kysely, Migration } from 'kysely'
import type { TableNames } from './schema'

// Column sizes: IDs are `key_`/`org_` + 26, digests 64 hex, hints 9. Config IDs are JSON of a
// string up to 255 characters or a safe integer, so 300 holds the quoted form.
const ID = 'varchar(40)'
const CONFIG_ID = 'varchar(300)'
const DIGEST = 'varchar(64)'
const HINT = 'varchar(16)'

/** Every schema change, in order. Never edit a shipped migration: add a new one. */
export function migrations(names: TableNames): Record<string, Migration> {
  return {
    '2026_11_24_0001_initial': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable(names.organisations)
          .addColumn('id', ID, (c) => c.primaryKey())
          .addColumn('storage_config', CONFIG_ID)
          .addColumn('webhook_config', CONFIG_ID)
          .addColumn('config', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('modified_at', 'bigint', (c) => c.notNull())
          .addColumn('modified_by', 'varchar(300)', (c) => c.notNull())
          .addColumn('version', 'bigint', (c) => c.notNull())
          .execute()

        let keys = db.schema
          .createTable(names.keys)
          .addColumn('id', ID, (c) => c.primaryKey())
          .addColumn('organisation', ID, (c) => c.notNull().references(`${names.organisations}.id`))
          .addColumn('type', 'varchar(16)', (c) => c.notNull())
          .addColumn('state', 'varchar(16)', (c) => c.notNull())
          .addColumn('name', 'varchar(255)')
          .addColumn('description', 'varchar(1000)')
          .addColumn('config', 'text', (c) => c.notNull())
          .addColumn('storage_config', CONFIG_ID)
          .addColumn('webhook_config', CONFIG_ID)
          .addColumn('permissions', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('modified_at', 'bigint', (c) => c.notNull())
          .addColumn('modified_by', 'varchar(300)', (c) => c.notNull())
          .addColumn('expires_at', 'bigint')
        for (const slot of ['primary', 'secondary'] as const) {
          const required = slot === 'primary'
          keys = keys
            .addColumn(`${slot}_digest`, DIGEST, (c) => (required ? c.notNull() : c))
            .addColumn(`${slot}_hint`, HINT, (c) => (required ? c.notNull() : c))
            .addColumn(`${slot}_rotated_at`, 'bigint', (c) => (required ? c.notNull() : c))
            .addColumn(`${slot}_retiring_digest`, DIGEST)
            .addColumn(`${slot}_retiring_hint`, HINT)
            .addColumn(`${slot}_retiring_until`, 'bigint')
        }
        await keys.addColumn('version', 'bigint', (c) => c.notNull()).execute()

        // Keyset pages of one organisation, optionally by type; state filters ride on these.
        await db.schema
          .createIndex(`${names.keys}_org_id`)
          .on(names.keys)
          .columns(['organisation', 'id'])
          .execute()
        await db.schema
          .createIndex(`${names.keys}_org_type_id`)
          .on(names.keys)
          .columns(['organisation', 'type', 'id'])
          .execute()
        // The expiry sweep: due keys by state, then expiry.
        await db.schema
          .createIndex(`${names.keys}_due`)
          .on(names.keys)
          .columns(['state', 'expires_at'])
          .execute()
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable(names.keys).execute()
        await db.schema.dropTable(names.organisations).execute()
      },
    },
  }
}
