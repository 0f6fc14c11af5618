import { type Kysely, type KyselyPlugin, Migrator, sql } from 'kysely'
import pg from 'pg'
import { describe, expect } from 'vitest'
import { kyselyStore, type MysqlPool, migrateKeycycle, type PgPool } from '../../adapters/kysely'
import { migrations } from '../../adapters/kysely/migrations'
import { keyToRow, organisationToRow } from '../../adapters/kysely/rows'
import { tableNames } from '../../adapters/kysely/schema'
import { createKeycycle, KeycycleError } from '../../src'
import { ADMIN, keyRecord, randomBytes, type StoreSuiteContext, T0 } from '../../src/conformance'
import { bucket, credits, plan, spendOf } from '../../src/conformance/usage-fixtures'
import { newId } from '../../src/core/ids'
import { newOrganisation } from '../../src/core/organisations'
import { mintToken } from '../../src/core/token'
import { recordingFeed } from '../helpers/recording-feed'
import { until } from '../helpers/until'
import {
  type Dialect,
  PG_URL,
  SESSION_TIME_ZONE,
  type SqlOpenStore,
  unreachableDb,
} from './sql-harness'

const organisation = () => newOrganisation({}, newId('org', T0, randomBytes(16)), ADMIN, T0)

/** Counts the statements a Kysely instance runs (a plugin sees every result). */
export function countingPlugin(): KyselyPlugin & { count: number } {
  return {
    count: 0,
    transformQuery: (args) => args.node,
    async transformResult(args) {
      this.count++
      return args.result
    },
  }
}

/**
 * What only a SQL store has to show, run through `describeStore`'s `extras` hook on the suite's
 * own namespace: migrations, time zones, transactions and pools; for PostgreSQL, its change
 * channel and prepared statements too.
 */
export const sqlExtras = (dialect: Dialect) => (context: StoreSuiteContext<SqlOpenStore>) =>
  sqlSpecifics(context, dialect)

function sqlSpecifics({ test }: StoreSuiteContext<SqlOpenStore>, dialect: Dialect): void {
  describe('SQL specifics', () => {
    test('migrates idempotently, also when several processes start at once', async ({
      backend,
    }) => {
      const db = backend.dbs[0]!
      const tablePrefix = `${backend.prefix}again_`
      try {
        const runs = await Promise.all([1, 2, 3].map(() => migrateKeycycle(db, { tablePrefix })))
        // Every shipped migration succeeds exactly once across the three processes.
        const shipped = Object.keys(migrations(tableNames(tablePrefix))).length
        expect(shipped).toBeGreaterThanOrEqual(2)
        expect(runs.flat().filter((r) => r.status === 'Success')).toHaveLength(shipped)
        expect(await migrateKeycycle(db, { tablePrefix })).toEqual([])
        expect(await backend.rawRows(`${tablePrefix}migrations`)).toHaveLength(shipped)
      } finally {
        await backend.dropTables(tablePrefix)
      }
    })

    test('migrates a database made before usage control forward: its rows read null and spend', async ({
      backend,
    }) => {
      const db = backend.dbs[0]!
      const tablePrefix = `${backend.prefix}old_`
      const names = tableNames(tablePrefix)
      try {
        const migrator = new Migrator({
          db,
          provider: { getMigrations: async () => migrations(names) },
          migrationTableName: names.migrations,
          migrationLockTableName: names.migrationLock,
        })
        expect((await migrator.migrateTo('2026_11_24_0004_outbox')).error).toBeUndefined()
        // Rows as a store wrote them then: no usage columns.
        const created = organisation()
        const key = keyRecord({ organisation: created.id })
        const { rate_limits: _, allowed_ips: __, ...organisationRow } = organisationToRow(created)
        const {
          rate_limits: _r,
          credits: _c,
          allowed_ips: _a,
          signing: _s,
          primary_sealed: _ps,
          primary_retiring_sealed: _prs,
          secondary_sealed: _ss,
          secondary_retiring_sealed: _srs,
          imported_digest: _i,
          ...keyRow
        } = keyToRow(key)
        const old = db as unknown as Kysely<Record<string, Record<string, unknown>>>
        await old.insertInto(names.organisations).values(organisationRow).execute()
        await old.insertInto(names.keys).values(keyRow).execute()

        // 0005 and every migration after it, all applied.
        const applied = await migrateKeycycle(db, { tablePrefix })
        const later = Object.keys(migrations(names)).filter((n) => n >= '2026_11_24_0005')
        expect(applied.map((m) => m.migrationName)).toEqual(later)
        expect(applied.every((m) => m.status === 'Success')).toBe(true)
        const store = kyselyStore(db, { tablePrefix })
        expect(await store.getKeyWithOrganisation(key.id)).toEqual({ key, organisation: created })
        expect(await store.readCounters([key.id])).toEqual(new Map())
        const request = spendOf(key, created, plan([], credits(2)))
        expect(await store.spend(request)).toMatchObject({ outcome: 'spent', credits: 1 })
      } finally {
        await backend.dropTables(tablePrefix)
      }
    })

    test("rejects with the database's own error, never unavailable, when a migration fails", async ({
      backend,
    }) => {
      const db = backend.dbs[0]!
      const tablePrefix = `${backend.prefix}clash_`
      // A table with keycycle's name but another shape: the first migration cannot create it.
      await sql`CREATE TABLE ${sql.table(`${tablePrefix}organisations`)} (other integer)`.execute(
        db,
      )
      try {
        const error = await migrateKeycycle(db, { tablePrefix }).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(Error)
        expect(error).not.toBeInstanceOf(KeycycleError)
        expect((error as Error).message).toMatch(/already exists/i)
      } finally {
        await backend.dropTables(tablePrefix)
      }
    })

    test('rejects with unavailable, the driver error as cause, when the database does not answer', async ({
      dialect,
    }) => {
      const db = await unreachableDb(dialect)
      try {
        const error = await migrateKeycycle(db).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(KeycycleError)
        expect(error).toMatchObject({ code: 'unavailable' })
        expect((error as Error).cause).toBeInstanceOf(Error)
      } finally {
        await db.destroy().catch(() => {})
      }
    })

    test('runs its sessions outside UTC', async ({ dialect, backend }) => {
      const zone = await backend.sessionTimeZone()
      if (dialect === 'sqlite') expect(zone).toContain('Chatham')
      else expect(zone).toBe(SESSION_TIME_ZONE)
    })

    test('creates an organisation and its first key together or not at all', async ({ store }) => {
      const taken = keyRecord()
      const first = organisation()
      expect(await store.insertOrganisation(first, { ...taken, organisation: first.id })).toBe(true)
      const second = organisation()
      // The key ID is taken, so the second statement of the transaction fails.
      expect(await store.insertOrganisation(second, { ...taken, organisation: second.id })).toBe(
        false,
      )
      expect(await store.getOrganisation(second.id)).toBeNull()
    })

    test('returns every pooled connection when transactions fail', async ({ store, backend }) => {
      const base = organisation()
      expect(await store.insertOrganisation(base, keyRecord({ organisation: base.id }))).toBe(true)
      const failures = await Promise.all(
        Array.from({ length: 40 }, () =>
          store.insertOrganisation(base, keyRecord({ organisation: base.id })),
        ),
      )
      expect(failures.every((ok) => ok === false)).toBe(true)
      // A leaked connection would leave these waiting for the pool forever.
      const reads = await Promise.all(
        Array.from({ length: 30 }, () => store.getOrganisation(base.id)),
      )
      expect(reads.every((o) => o?.id === base.id)).toBe(true)
      const stats = backend.poolStats?.()
      if (stats) {
        expect(stats.waiting).toBe(0)
        expect(stats.idle).toBe(stats.total)
        expect(stats.total).toBeLessThanOrEqual(10)
      }
    })

    test('reads once per verification, an unknown key as a wrong secret: one statement each', async ({
      backend,
    }) => {
      const plugin = countingPlugin()
      let pooled = 0
      const { pg: pgPool, mysql: mysqlPool } = backend.storeOptions?.[0] ?? {}
      const pg: PgPool | undefined = pgPool && {
        query: (config) => {
          pooled++
          return pgPool.query(config)
        },
        connect: () => pgPool.connect(),
      }
      const mysql: MysqlPool | undefined =
        mysqlPool &&
        ({
          // Every fixed statement takes one of the pool's connections.
          getConnection: (callback) => {
            pooled++
            return mysqlPool.getConnection(callback)
          },
          execute: (mysqlPool as unknown as { execute: unknown }).execute,
        } as MysqlPool)
      const store = kyselyStore(backend.dbs[0]!.withPlugin(plugin), {
        tablePrefix: backend.prefix,
        ...(pg && { pg }),
        ...(mysql && { mysql }),
      })
      const kc = createKeycycle({ store })
      const { key, token } = await kc.createOrganisation()
      const secret = () => globalThis.crypto.getRandomValues(new Uint8Array(32))
      const unknown = mintToken('kc', newId('key', T0, randomBytes(16)), secret()).token
      const wrong = mintToken('kc', key.id, secret()).token
      for (const [candidate, ok] of [
        [token, true],
        [unknown, false],
        [wrong, false],
      ] as const) {
        const before = { kysely: plugin.count, pooled }
        expect(await kc.verify(candidate)).toMatchObject({ ok })
        // On the driver's pool when the store was given one, else through Kysely.
        expect({ kysely: plugin.count - before.kysely, pooled: pooled - before.pooled }).toEqual(
          pg || mysql ? { kysely: 0, pooled: 1 } : { kysely: 1, pooled: 0 },
        )
      }
    })
  })

  describe('usage counters', () => {
    test(
      dialect === 'postgres'
        ? 'spends in one statement, fenced or not, on the pool or through Kysely'
        : 'spends in one transaction: the rows read (and locked), then the counters written',
      async ({ backend }) => {
        const plugin = countingPlugin()
        let pooled = 0
        const pgPool = backend.storeOptions?.[0]?.pg
        const pg: PgPool | undefined = pgPool && {
          query: (config) => {
            pooled++
            return pgPool.query(config)
          },
          connect: () => pgPool.connect(),
        }
        const db = backend.dbs[0]!.withPlugin(plugin)
        const stores = [
          kyselyStore(db, { tablePrefix: backend.prefix }),
          ...(pg ? [kyselyStore(db, { tablePrefix: backend.prefix, pg })] : []),
        ]
        for (const [i, store] of stores.entries()) {
          const created = organisation()
          const key = keyRecord({ organisation: created.id })
          expect(await store.insertOrganisation(created, key)).toBe(true)
          const spend = (shared: boolean, deadline: number | undefined) =>
            store.spend(
              spendOf(
                key,
                created,
                plan([bucket('a', 9, 1000, shared ? 'organisation' : 'key')], credits(9)),
              ),
              { deadline },
            )
          // The first fenced transaction on MySQL asks the server's version, once per store.
          await spend(false, Date.now() + 5000)
          for (const shared of [false, true]) {
            for (const deadline of [undefined, Date.now() + 5000]) {
              const before = { kysely: plugin.count, pooled }
              expect(await spend(shared, deadline)).toMatchObject({ outcome: 'spent' })
              const sent = { kysely: plugin.count - before.kysely, pooled: pooled - before.pooled }
              // SQLite: the lock, the read, the key's counters (and the organisation's);
              // MySQL: the locking read, the same writes; BEGIN and COMMIT besides.
              const statements = (dialect === 'sqlite' ? 3 : 2) + (shared ? 1 : 0)
              expect(sent).toEqual(
                dialect !== 'postgres'
                  ? { kysely: statements, pooled: 0 }
                  : i === 1
                    ? { kysely: 0, pooled: 1 }
                    : { kysely: 1, pooled: 0 },
              )
            }
          }
        }
      },
    )
  })

  // Declared for PostgreSQL only (reported skipped for the others): they have neither.
  const postgresOnly = describe.runIf(dialect === 'postgres')
  postgresOnly('PostgreSQL change channel and prepared statements', () => {
    test('announces writes made without the pg option (through Kysely alone) too', async ({
      clients,
    }) => {
      const [listening, , plain] = clients
      expect(plain!.watch).toBeUndefined()
      const { feed, changes } = recordingFeed()
      const subscription = await listening!.watch!(feed, { heartbeatMs: 50 })
      try {
        const created = organisation()
        const first = keyRecord({ organisation: created.id })
        const second = keyRecord({ organisation: created.id })
        expect(await plain!.insertOrganisation(created, first)).toBe(true)
        expect(await plain!.insertKey(second)).toBe(true)
        expect(await plain!.updateKey({ ...second, version: 2, name: 'x' }, 1)).toBe(true)
        expect(await plain!.updateOrganisation({ ...created, version: 2 }, 1)).toBe(true)
        // One notification per committed write: the two rows of the first call, then three.
        expect(await until(() => changes.length >= 5, 1000)).toBe(true)
        expect(new Set(changes.map((c) => `${c.kind}:${c.id}`))).toEqual(
          new Set([`organisation:${created.id}`, `key:${first.id}`, `key:${second.id}`]),
        )
        // Nothing announced for a compare-and-set that lost. Notifications arrive in commit
        // order, so once a later write's is heard, one for the lost write would have been too.
        const seen = changes.length
        expect(await plain!.updateKey({ ...second, version: 2, name: 'y' }, 1)).toBe(false)
        expect(await plain!.updateKey({ ...first, version: 2, name: 'z' }, 1)).toBe(true)
        expect(await until(() => changes.length > seen, 1000)).toBe(true)
        expect(changes.slice(seen).map((c) => c.id)).toEqual([first.id])
      } finally {
        await subscription.close()
      }
    })

    test('runs the verification read as a named statement, prepared once per connection', async ({
      backend,
    }) => {
      const pool = new pg.Pool({ connectionString: PG_URL, max: 1 })
      try {
        const store = kyselyStore(backend.dbs[0]!, { tablePrefix: backend.prefix, pg: pool })
        const created = organisation()
        const first = keyRecord({ organisation: created.id })
        expect(await store.insertOrganisation(created, first)).toBe(true)
        for (let i = 0; i < 3; i++) {
          expect(await store.getKeyWithOrganisation(first.id)).toMatchObject({ key: first })
        }
        const { rows } = await pool.query(
          "select statement from pg_prepared_statements where name like 'keycycle_%'",
        )
        const statements = rows.map((row: { statement: string }) => row.statement)
        expect(statements.filter((s) => s.includes('inner join'))).toHaveLength(1)
      } finally {
        await pool.end()
      }
    })
  })
}
