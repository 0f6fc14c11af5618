import { type Kysely, type Migration, sql } from 'kysely'
import type { TableNames } from './schema'

// Column sizes: IDs are `key_`/`org_` + 26, digests 64 hex, hints 9. Config IDs are JSON of a
// string up to 255 characters or a safe integer, so 300 holds the quoted form.
const ID = 'varchar(40)'
const CONFIG_ID = 'varchar(300)'
const DIGEST = 'varchar(64)'
// From 0002: a digest made under a pepper with an ID is `<id>$<hex>` (ID ≤ 16 characters).
const PEPPERED_DIGEST = 'varchar(96)'
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
    // Key metadata, last-used times per token, and digests that name their pepper.
    '2026_11_24_0002_metadata_last_used_peppers': {
      async up(db: Kysely<unknown>) {
        let keys = db.schema.alterTable(names.keys).addColumn('metadata', 'text')
        await keys.execute()
        for (const column of [
          'primary_last_used_at',
          'primary_retiring_last_used_at',
          'secondary_last_used_at',
          'secondary_retiring_last_used_at',
        ]) {
          keys = db.schema.alterTable(names.keys).addColumn(column, 'bigint')
          await keys.execute()
        }
        // SQLite does not enforce varchar lengths; PostgreSQL and MySQL need the wider type.
        const dialect = dialectOf(db)
        for (const [column, required] of DIGEST_COLUMNS) {
          if (dialect === 'mysql') {
            const nullability = sql.raw(required ? 'not null' : 'null')
            await sql`alter table ${sql.table(names.keys)} modify ${sql.ref(column)} ${sql.raw(PEPPERED_DIGEST)} ${nullability}`.execute(
              db,
            )
          } else if (dialect === 'postgres') {
            await db.schema
              .alterTable(names.keys)
              .alterColumn(column, (c) => c.setDataType(sql.raw(PEPPERED_DIGEST)))
              .execute()
          }
        }
      },
      async down(db: Kysely<unknown>) {
        for (const column of [
          'metadata',
          'primary_last_used_at',
          'primary_retiring_last_used_at',
          'secondary_last_used_at',
          'secondary_retiring_last_used_at',
        ]) {
          await db.schema.alterTable(names.keys).dropColumn(column).execute()
        }
      },
    },
  }
}

const DIGEST_COLUMNS: [string, boolean][] = [
  ['primary_digest', true],
  ['primary_retiring_digest', false],
  ['secondary_digest', false],
  ['secondary_retiring_digest', false],
]

// Which SQL the host's Kysely writes, from how it compiles a probe (no I/O): MySQL quotes with
// backticks, PostgreSQL numbers its placeholders, SQLite does neither.
function dialectOf(db: Kysely<unknown>): 'mysql' | 'postgres' | 'sqlite' {
  const probe = db as unknown as Kysely<{ t: { c: number } }>
  const text = probe.selectFrom('t').select('c').where('c', '=', 0).compile().sql
  return text.includes('`') ? 'mysql' : text.includes('$1') ? 'postgres' : 'sqlite'
}
