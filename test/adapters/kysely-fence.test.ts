// Fenced writes on real servers (`docs/decisions.md#fenced-writes`): a write whose deadline passes while another session
// holds the lock it needs is answered `unavailable`, and nothing of it commits afterwards; on
// SQLite the event loop stays free meanwhile.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import Database from 'better-sqlite3'
import { CompiledQuery, Kysely, SqliteDialect } from 'kysely'
import { createPool as createMysqlPool } from 'mysql2/promise'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type KyselyStoreOptions, kyselyStore, migrateKeycycle } from '../../adapters/kysely'
import { pgPoolRunner } from '../../adapters/kysely/pg-runner'
import { reusePreparedStatements } from '../../adapters/kysely/sqlite-statements'
import { bucket, credits, plan, spendOf } from '../../src/conformance/usage-fixtures'
import { createKeycycle, KeycycleError } from '../../src/index'
import type { KeyStore } from '../../src/store'
import { shouldRun } from '../helpers/should-run'
import { MYSQL_URL, PG_URL, reachable, sqlHarness } from './sql-harness'

const STORE_TIMEOUT_MS = 300
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A store over a real database, and a second session that can hold a key's write lock. */
interface Fixture {
  store: KeyStore
  /** Takes the write lock `id` needs, in a transaction of another session, until `release`. */
  lock(keysTable: string, id: string): Promise<void>
  release(): Promise<void>
  /** How many events the outbox holds about `id`, read with the raw driver. */
  events(id: string): Promise<number>
  prefix: string
  close(): Promise<void>
}

async function sqliteFixture(options: 'sqlite' | 'kysely'): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'keycycle-fence-'))
  const file = join(dir, 'keycycle.db')
  const connect = () => {
    // better-sqlite3's default busy timeout is 5 s; the store lowers it on its own connection.
    const database = new Database(file)
    database.pragma('journal_mode = WAL')
    return database
  }
  const connection = connect()
  const db = new Kysely<unknown>({
    dialect: new SqliteDialect({ database: reusePreparedStatements(connection) }),
  })
  const prefix = 'fence_'
  await migrateKeycycle(db, { tablePrefix: prefix })
  const holder = connect()
  const extra = options === 'sqlite' ? { sqlite: connection } : {}
  return {
    store: kyselyStore(db, { ...extra, tablePrefix: prefix }),
    prefix,
    async lock() {
      holder.exec('BEGIN IMMEDIATE')
    },
    async release() {
      if (holder.inTransaction) holder.exec('ROLLBACK')
    },
    events: async (id) =>
      (
        holder
          .prepare(`SELECT count(*) AS n FROM "${prefix}events" WHERE subject_id = ?`)
          .get(id) as { n: number }
      ).n,
    async close() {
      await db.destroy()
      holder.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function postgresFixture(options: 'pool' | 'kysely'): Promise<Fixture> {
  const opened = await sqlHarness('postgres', 1).open()
  const { prefix, storeOptions } = opened.backend
  const extra: Omit<KyselyStoreOptions, 'tablePrefix'> =
    options === 'pool' ? (storeOptions?.[0] ?? {}) : {}
  const store = kyselyStore(opened.backend.dbs[0]!, { ...extra, tablePrefix: prefix })
  const holder = new pg.Client({ connectionString: PG_URL })
  await holder.connect()
  return {
    store,
    prefix,
    async lock(keys, id) {
      await holder.query('BEGIN')
      await holder.query(`SELECT id FROM "${keys}" WHERE id = $1 FOR UPDATE`, [id])
    },
    release: async () => void (await holder.query('ROLLBACK')),
    events: async (id) =>
      Number(
        (
          await holder.query(`SELECT count(*) AS n FROM "${prefix}events" WHERE subject_id = $1`, [
            id,
          ])
        ).rows[0].n,
      ),
    async close() {
      await holder.end()
      await opened.close()
    },
  }
}

async function mysqlFixture(): Promise<Fixture> {
  const opened = await sqlHarness('mysql', 1).open()
  const { prefix } = opened.backend
  const holder = createMysqlPool({ uri: MYSQL_URL, connectionLimit: 1 })
  const connection = await holder.getConnection()
  return {
    store: opened.store,
    prefix,
    async lock(keys, id) {
      await connection.query('BEGIN')
      await connection.query(`SELECT id FROM \`${keys}\` WHERE id = ? FOR UPDATE`, [id])
    },
    release: async () => void (await connection.query('ROLLBACK')),
    async events(id) {
      const [rows] = await connection.query(
        `SELECT count(*) AS n FROM \`${prefix}events\` WHERE subject_id = ?`,
        [id],
      )
      return Number((rows as { n: number }[])[0]!.n)
    },
    async close() {
      connection.release()
      await holder.end()
      await opened.close()
    },
  }
}

const CASES: [string, 'sqlite' | 'postgres' | 'mysql', () => Promise<Fixture>][] = [
  [
    'SQLite, Kysely only (another connection holds BEGIN IMMEDIATE)',
    'sqlite',
    () => sqliteFixture('kysely'),
  ],
  [
    'SQLite, sqlite connection (another connection holds BEGIN IMMEDIATE)',
    'sqlite',
    () => sqliteFixture('sqlite'),
  ],
  [
    'PostgreSQL, pg pool (another session holds FOR UPDATE)',
    'postgres',
    () => postgresFixture('pool'),
  ],
  [
    'PostgreSQL, Kysely only (another session holds FOR UPDATE)',
    'postgres',
    () => postgresFixture('kysely'),
  ],
  ['MariaDB/MySQL (another session holds FOR UPDATE)', 'mysql', mysqlFixture],
]

// Without the server the suite is skipped loudly, or fails under CI=true (should-run.ts).
const SERVER = { sqlite: 'SQLite', postgres: 'PostgreSQL', mysql: 'MariaDB/MySQL' } as const

for (const [name, dialect, open] of CASES) {
  const runs = await shouldRun(SERVER[dialect], () => reachable(dialect))
  describe.runIf(runs)(`fenced writes: ${name}`, () => {
    let fixture: Fixture
    beforeAll(async () => {
      fixture = await open()
    })
    afterAll(() => fixture.close())

    it('answers unavailable at the deadline, and commits nothing once the lock is released', async () => {
      const kc = createKeycycle({
        store: fixture.store,
        storeTimeoutMs: STORE_TIMEOUT_MS,
        recordEvents: true,
      })
      const { organisation, key, token } = await kc.createOrganisation()
      const org = kc.asOrganisation(organisation.id)
      const recorded = await fixture.events(key.id)
      expect(recorded).toBeGreaterThan(0)

      await fixture.lock(`${fixture.prefix}keys`, key.id)
      const loop = monitorEventLoopDelay({ resolution: 1 })
      loop.enable()
      // The histogram's first tick only sets its baseline: let it tick before the write.
      await sleep(20)
      const started = Date.now()
      const error = await org.regenerateKey(key.id, 'primary').catch((e: unknown) => e)
      const answeredMs = Date.now() - started
      // A block that ended the call is recorded at the tick after it.
      await sleep(20)
      loop.disable()
      const maxDelayMs = loop.max / 1e6
      // Held past the deadline and the service's grace: whatever was sent must not commit.
      await sleep(STORE_TIMEOUT_MS + 1200)
      await fixture.release()
      await sleep(300)
      console.info(
        `${name}: unavailable after ${answeredMs} ms, event loop max delay ${maxDelayMs.toFixed(1)} ms`,
      )

      expect(error).toBeInstanceOf(KeycycleError)
      expect(error).toMatchObject({ code: 'unavailable' })
      // The store's own answer, at its deadline, not the service's after the grace second.
      expect(answeredMs).toBeGreaterThanOrEqual(STORE_TIMEOUT_MS - 20)
      expect(answeredMs).toBeLessThan(STORE_TIMEOUT_MS + 500)
      if (dialect === 'sqlite') expect(maxDelayMs).toBeLessThan(50)
      expect((await kc.verify(token)).ok).toBe(true)
      expect((await org.getKey(key.id)).version).toBe(key.version)
      expect(await fixture.events(key.id)).toBe(recorded)
      await kc.close()
    })

    it('commits a write whose lock is released before the deadline', async () => {
      const kc = createKeycycle({
        store: fixture.store,
        storeTimeoutMs: STORE_TIMEOUT_MS * 4,
        recordEvents: true,
      })
      const { organisation, key, token } = await kc.createOrganisation()
      const org = kc.asOrganisation(organisation.id)
      const recorded = await fixture.events(key.id)
      await fixture.lock(`${fixture.prefix}keys`, key.id)
      setTimeout(() => void fixture.release(), 150)
      const regenerated = await org.regenerateKey(key.id, 'primary')
      expect(regenerated.key.version).toBe(key.version + 1)
      expect((await kc.verify(token)).ok).toBe(false)
      expect((await kc.verify(regenerated.token)).ok).toBe(true)
      expect(await fixture.events(key.id)).toBe(recorded + 1)
      await kc.close()
    })

    it('answers a spend unavailable at its deadline, and spends nothing once the lock is released', async () => {
      const kc = createKeycycle({ store: fixture.store })
      const { key } = await kc.createOrganisation()
      const found = (await fixture.store.getKeyWithOrganisation(key.id))!
      const request = spendOf(
        found.key,
        found.organisation,
        plan([bucket('api', 5, 60_000)], credits(5), 1, Date.now()),
      )
      await fixture.lock(`${fixture.prefix}keys`, key.id)
      const started = Date.now()
      const error = await fixture.store
        .spend(request, { deadline: started + STORE_TIMEOUT_MS })
        .catch((e: unknown) => e)
      const answeredMs = Date.now() - started
      await sleep(300)
      await fixture.release()
      await sleep(300)
      console.info(`${name}: spend unavailable after ${answeredMs} ms`)
      expect(error).toMatchObject({ code: 'unavailable' })
      expect(answeredMs).toBeGreaterThanOrEqual(STORE_TIMEOUT_MS - 20)
      // MySQL's lock wait is bounded in whole seconds only.
      expect(answeredMs).toBeLessThan(STORE_TIMEOUT_MS + (dialect === 'mysql' ? 1200 : 500))
      expect(await fixture.store.readCounters([key.id])).toEqual(new Map())
      // And with the lock gone, the same spend goes through.
      expect(await fixture.store.spend(request)).toMatchObject({ outcome: 'spent', credits: 4 })
      await kc.close()
    })

    it('starts no write whose deadline has passed', async () => {
      const kc = createKeycycle({ store: fixture.store, recordEvents: true })
      const { key } = await kc.createOrganisation()
      const record = (await fixture.store.getKeyWithOrganisation(key.id))!.key
      const late = fixture.store.updateKey({ ...record, name: 'late', version: 2 }, 1, {
        deadline: Date.now() - 1,
      })
      await expect(late).rejects.toMatchObject({ code: 'unavailable' })
      expect((await fixture.store.getKeyWithOrganisation(key.id))?.key.name).toBe(record.name)
      await kc.close()
    })
  })
}

describe.runIf(await shouldRun('PostgreSQL', () => reachable('postgres')))(
  'fenced writes: PostgreSQL, an abandoned transaction',
  () => {
    it('is ended by the server at its deadline, releasing its row lock, with no crash', async () => {
      const table = `fence_abandon_${Math.random().toString(36).slice(2, 8)}`
      const pool = new pg.Pool({ connectionString: PG_URL, max: 1 })
      const other = new pg.Client({ connectionString: PG_URL })
      await other.connect()
      try {
        await other.query(`CREATE TABLE "${table}" (id int PRIMARY KEY, v int)`)
        await other.query(`INSERT INTO "${table}" VALUES (1, 0)`)
        const runner = pgPoolRunner(pool)
        // The write takes the row's lock, then its process stalls past the deadline.
        const held = runner
          .transaction(Date.now() + 200, async (tx) => {
            await tx.execute(CompiledQuery.raw(`UPDATE "${table}" SET v = 1 WHERE id = 1`))
            await sleep(800)
          })
          .catch((e: unknown) => e)
        await sleep(450)
        // Still stalled, but the server has ended its transaction: the lock is free.
        await other.query('SET lock_timeout = 100')
        await other.query(`UPDATE "${table}" SET v = 2 WHERE id = 1`)
        expect(await held).toMatchObject({ code: 'unavailable' })
        const { rows } = await other.query(`SELECT v FROM "${table}"`)
        expect(rows).toEqual([{ v: 2 }])
        // The ended connection was destroyed, not pooled: the next query gets a fresh one.
        expect((await pool.query({ text: 'SELECT 1 AS one', values: [] })).rows).toEqual([
          { one: 1 },
        ])
      } finally {
        await other.query(`DROP TABLE IF EXISTS "${table}"`)
        await other.end()
        await pool.end()
      }
    })
  },
)
