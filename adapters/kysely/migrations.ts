import { type Kysely, type Migration, sql } from 'kysely'
import { dropPgSpendFunction, pgSpendFunction } from './pg-spend-function'
import type { TableNames } from './schema'

// Column sizes: IDs are `key_`/`org_` + 26, digests 64 hex, hints 9. Config IDs were 300 (the
// quoted form of 255 plain characters) until 0003 made them text: escapes can make JSON 6× longer.
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
    // Every value validation admits fits (issue 10): config IDs as JSON text of any length the
    // schema allows (a 255-character ID of control characters encodes to 1532), and on MySQL
    // 4-byte UTF-8 everywhere with binary comparison, whatever the server's default charset.
    '2026_11_24_0003_values': {
      async up(db: Kysely<unknown>) {
        const dialect = dialectOf(db)
        if (dialect === 'postgres') {
          for (const table of [names.organisations, names.keys]) {
            await db.schema
              .alterTable(table)
              .alterColumn('storage_config', (c) => c.setDataType('text'))
              .alterColumn('webhook_config', (c) => c.setDataType('text'))
              .execute()
          }
        } else if (dialect === 'mysql') {
          await mysqlUtf8mb4Binary(db, names)
        }
        // SQLite neither enforces varchar lengths nor folds case; its text is UTF-8 already.
      },
      async down(db: Kysely<unknown>) {
        const dialect = dialectOf(db)
        if (dialect === 'sqlite') return
        for (const table of [names.organisations, names.keys]) {
          for (const column of ['storage_config', 'webhook_config']) {
            await (dialect === 'mysql'
              ? sql`alter table ${sql.table(table)} modify ${sql.ref(column)} ${sql.raw(CONFIG_ID)} null`
              : sql`alter table ${sql.table(table)} alter column ${sql.ref(column)} type ${sql.raw(CONFIG_ID)}`
            ).execute(db)
          }
        }
      },
    },
    // The durable outbox (`docs/decisions.md#events-and-the-outbox`): events recorded in the same transaction as their change.
    '2026_11_24_0004_outbox': {
      async up(db: Kysely<unknown>) {
        const mysql = dialectOf(db) === 'mysql'
        let events = db.schema
          .createTable(names.events)
          .addColumn('id', ID, (c) => c.primaryKey())
          .addColumn('subject_kind', 'varchar(16)', (c) => c.notNull())
          .addColumn('subject_id', ID, (c) => c.notNull())
          .addColumn('stream', ID, (c) => c.notNull())
          .addColumn('seq', 'bigint', (c) => c.notNull())
          .addColumn('available_at', 'bigint', (c) => c.notNull())
          // MySQL's TEXT holds 65,535 bytes, one short of a 64 KiB body.
          .addColumn('body', mysql ? sql`mediumtext` : 'text', (c) => c.notNull())
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('claim_owner', 'varchar(255)')
          .addColumn('claimed_until', 'bigint')
          .addColumn('delivered_at', 'bigint')
        // IDs compare exactly, as in 0003 (utf8mb4_bin exists on every MySQL and MariaDB).
        if (mysql) events = events.modifyEnd(sql`character set utf8mb4 collate utf8mb4_bin`)
        await events.execute()
        // A stream's head: its lowest undelivered seq.
        await db.schema
          .createIndex(`${names.events}_stream`)
          .on(names.events)
          .columns(['stream', 'seq'])
          .execute()
        // Claiming scans undelivered events by due time (delivered_at null, then available_at);
        // pruning scans delivered ones by delivered_at: one index serves both.
        await db.schema
          .createIndex(`${names.events}_due`)
          .on(names.events)
          .columns(['delivered_at', 'available_at'])
          .execute()
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable(names.events).execute()
      },
    },
    // Usage control: a key's rate limits, credits and allowed addresses, an organisation's
    // defaults (JSON text; NULL in rows written before, read as null), the usage counters of
    // each (JSON text, outside the record: see `CountersColumn`), and on PostgreSQL the
    // function that spends them in one statement (pg-spend-function.ts).
    '2026_11_24_0005_usage_control': {
      async up(db: Kysely<unknown>) {
        for (const [table, columns] of USAGE_COLUMNS(names)) {
          // One column per statement: SQLite adds one at a time.
          for (const column of columns) {
            await db.schema.alterTable(table).addColumn(column, 'text').execute()
          }
        }
        if (dialectOf(db) === 'postgres') {
          await sql.raw(pgSpendFunction(names, prefixOf(names))).execute(db)
        }
      },
      async down(db: Kysely<unknown>) {
        if (dialectOf(db) === 'postgres') {
          await sql.raw(dropPgSpendFunction(prefixOf(names))).execute(db)
        }
        for (const [table, columns] of USAGE_COLUMNS(names)) {
          for (const column of columns) {
            await db.schema.alterTable(table).dropColumn(column).execute()
          }
        }
      },
    },
    // Signed requests: whether a key signs (`on`, `only`), and each of its tokens sealed
    // (AES-256-GCM, `<kek id>$<base64url>`); NULL in rows written before (not a signing key).
    '2026_12_08_0006_signed_requests': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable(names.keys).addColumn('signing', 'varchar(8)').execute()
        for (const column of SEALED_COLUMNS) {
          await db.schema.alterTable(names.keys).addColumn(column, 'text').execute()
        }
      },
      async down(db: Kysely<unknown>) {
        for (const column of ['signing', ...SEALED_COLUMNS]) {
          await db.schema.alterTable(names.keys).dropColumn(column).execute()
        }
      },
    },
    // Usage analytics: a key's verifications by hour and outcome, added to by every instance
    // (`INSERT … ON CONFLICT/DUPLICATE KEY UPDATE count = count + …`) and pruned by hour.
    // No foreign key: counts are written behind and may outlive their key until pruned.
    '2026_12_08_0007_usage_analytics': {
      async up(db: Kysely<unknown>) {
        let usage = db.schema
          .createTable(names.usage)
          .addColumn('key_id', ID, (c) => c.notNull())
          .addColumn('hour', 'bigint', (c) => c.notNull())
          .addColumn('outcome', 'varchar(32)', (c) => c.notNull())
          .addColumn('count', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint(`${names.usage}_pk`, ['key_id', 'hour', 'outcome'])
        if (dialectOf(db) === 'mysql') {
          usage = usage.modifyEnd(sql`character set utf8mb4 collate utf8mb4_bin`)
        }
        await usage.execute()
        await db.schema.createIndex(`${names.usage}_hour`).on(names.usage).column('hour').execute()
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable(names.usage).execute()
      },
    },
    // Imported keys (`docs/decisions.md#importing-keys`): the hex of the imported token digest
    // a key's record holds, set by every write of the record, unique (a token is imported into
    // one key), indexed for the lookup by digest. Null in rows written before.
    '2026_12_08_0008_imported_digests': {
      async up(db: Kysely<unknown>) {
        await db.schema.alterTable(names.keys).addColumn('imported_digest', DIGEST).execute()
        await db.schema
          .createIndex(`${names.keys}_imported`)
          .on(names.keys)
          .column('imported_digest')
          .unique()
          .execute()
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropIndex(`${names.keys}_imported`).on(names.keys).execute()
        await db.schema.alterTable(names.keys).dropColumn('imported_digest').execute()
      },
    },
  }
}

// The columns migration 0006 adds beside `signing`.
const SEALED_COLUMNS = [
  'primary_sealed',
  'primary_retiring_sealed',
  'secondary_sealed',
  'secondary_retiring_sealed',
]

// The columns migration 0005 adds, by table.
const USAGE_COLUMNS = (names: TableNames): [string, string[]][] => [
  [names.keys, ['rate_limits', 'credits', 'allowed_ips', 'counters']],
  [names.organisations, ['rate_limits', 'allowed_ips', 'counters']],
]

// The table prefix, from a table's name (`<prefix>keys`).
const prefixOf = (names: TableNames) => names.keys.slice(0, -'keys'.length)

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

// MySQL/MariaDB: both tables to utf8mb4 (a server defaulting to latin1 or utf8mb3 refuses emoji)
// with a binary collation that does not pad (IDs match exactly: no case folding, no trailing
// spaces ignored), where the server has one. MariaDB refuses to convert a column a foreign key
// uses, even with foreign_key_checks off, so the key's foreign key is dropped and re-added.
async function mysqlUtf8mb4Binary(db: Kysely<unknown>, names: TableNames): Promise<void> {
  const preferred = ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin', 'utf8mb4_bin']
  const { rows: collations } = await sql<{ name: string }>`
    select collation_name as name from information_schema.collations
    where collation_name in (${sql.join(preferred)})`.execute(db)
  const available = new Set(collations.map((c) => c.name))
  const collation = preferred.find((c) => available.has(c)) ?? 'utf8mb4_bin'
  const { rows: foreignKeys } = await sql<{ name: string }>`
    select constraint_name as name from information_schema.referential_constraints
    where constraint_schema = database() and table_name = ${names.keys}
      and referenced_table_name = ${names.organisations}`.execute(db)
  for (const { name } of foreignKeys) {
    await sql`alter table ${sql.table(names.keys)} drop foreign key ${sql.ref(name)}`.execute(db)
  }
  const convert = (table: string) =>
    sql`alter table ${sql.table(table)}
      modify storage_config text null, modify webhook_config text null,
      convert to character set utf8mb4 collate ${sql.raw(collation)}`
  await convert(names.organisations).execute(db)
  await convert(names.keys).execute(db)
  const name = foreignKeys[0]?.name ?? `${names.keys}_organisation_fk`
  await sql`alter table ${sql.table(names.keys)} add constraint ${sql.ref(name)}
    foreign key (organisation) references ${sql.table(names.organisations)} (id)`.execute(db)
}
