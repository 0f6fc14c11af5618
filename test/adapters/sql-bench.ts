// A local micro-benchmark, not part of `npm test`: what verification over the Kysely store costs
// against its floor, a primary-key select through the raw driver with a statement prepared once
// (better-sqlite3 `prepare`, a pg named statement, mysql2 `execute`).
//
//   node --import tsx test/adapters/sql-bench.ts [sqlite|postgres|mysql …]
//
// Each dialect runs, side by side in every round: the raw select; verify through the store as
// the README configures it (SQLite wrapped by reusePreparedStatements and given as the `sqlite`
// option, PostgreSQL with the `pg`
// option, MySQL with the `mysql` option) for a valid token, a wrong secret and an unknown key; verify through the store on
// Kysely alone; and verify over the memory store (the core's own work, no I/O). Ratios are
// taken within a round and the median over rounds reported, so drift between rounds cancels.
//
// KEYCYCLE_BASELINE=<dir>/adapters/kysely/index.ts adds verify through another build of the
// adapter (e.g. `git archive <commit> adapters src | tar -x -C <dir>`, with node_modules
// linked), to compare before and after under the same load. ROUNDS=<n> sets the rounds.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect, sql } from 'kysely'
import { createPool as createMysqlPool } from 'mysql2'
import pg from 'pg'
import { Bench } from 'tinybench'
import {
  type KyselyStoreOptions,
  kyselyStore,
  migrateKeycycle,
  reusePreparedStatements,
} from '../../adapters/kysely'
import { dropPgSpendFunction } from '../../adapters/kysely/pg-spend-function'
import { memoryStore } from '../../adapters/memory'
import { createKeycycle } from '../../src'
import { mintToken } from '../../src/core/token'
import type { KeyStore } from '../../src/store'
import { MYSQL_URL, PG_URL } from './sql-harness'

const DIALECTS = ['sqlite', 'postgres', 'mysql'] as const
type Dialect = (typeof DIALECTS)[number]

interface Subject {
  /** The Kysely instance as the README advises configuring it, and its store options. */
  fast: { db: Kysely<unknown>; options: Omit<KyselyStoreOptions, 'tablePrefix'> }
  /** A Kysely instance over the same data with nothing added. */
  plain: Kysely<unknown>
  /** A primary-key select of one key row through the raw driver, prepared once. */
  rawSelect(table: string): (id: string) => Promise<unknown>
  close(): Promise<void>
}

function openSqlite(): Subject {
  const dir = mkdtempSync(join(tmpdir(), 'keycycle-bench-'))
  const connect = () => {
    const database = new Database(join(dir, 'bench.db'))
    database.pragma('journal_mode = WAL')
    return database
  }
  const raw = connect()
  const sqlite = connect()
  const fast = new Kysely<unknown>({
    dialect: new SqliteDialect({ database: reusePreparedStatements(sqlite) }),
  })
  const plain = new Kysely<unknown>({ dialect: new SqliteDialect({ database: connect() }) })
  return {
    fast: { db: fast, options: { sqlite } },
    plain,
    rawSelect(table) {
      const statement = raw.prepare(`select * from "${table}" where id = ?`)
      return async (id) => statement.get(id)
    },
    async close() {
      await Promise.all([fast.destroy(), plain.destroy()])
      raw.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function openPostgres(): Subject {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4 })
  const raw = new pg.Pool({ connectionString: PG_URL, max: 4 })
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) })
  return {
    fast: { db, options: { pg: pool } },
    plain: db,
    rawSelect(table) {
      const text = `select * from "${table}" where id = $1`
      return (id) => raw.query({ name: `bench_${table}`, text, values: [id] })
    },
    async close() {
      await raw.end()
      await db.destroy()
    },
  }
}

function openMysql(): Subject {
  const pool = createMysqlPool({ uri: MYSQL_URL, connectionLimit: 4 })
  const raw = createMysqlPool({ uri: MYSQL_URL, connectionLimit: 4 }).promise()
  const db = new Kysely<unknown>({ dialect: new MysqlDialect({ pool: async () => pool }) })
  return {
    fast: { db, options: { mysql: pool } },
    plain: db,
    rawSelect(table) {
      const text = `select * from \`${table}\` where id = ?`
      return (id) => raw.execute(text, [id])
    },
    async close() {
      await raw.end()
      await db.destroy()
    },
  }
}

const OPEN: Record<Dialect, () => Subject> = {
  sqlite: openSqlite,
  postgres: openPostgres,
  mysql: openMysql,
}

type StoreFactory = (db: Kysely<unknown>, options: { tablePrefix: string }) => KeyStore
const baseline: StoreFactory | null = process.env.KEYCYCLE_BASELINE
  ? ((await import(process.env.KEYCYCLE_BASELINE)) as { kyselyStore: StoreFactory }).kyselyStore
  : null

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

async function measure(dialect: Dialect) {
  const subject = OPEN[dialect]()
  const tablePrefix = `kcbench${Math.random().toString(36).slice(2, 7)}_`
  await migrateKeycycle(subject.plain, { tablePrefix })
  const store = kyselyStore(subject.fast.db, { ...subject.fast.options, tablePrefix })
  const kc = createKeycycle({ store })
  const plain = createKeycycle({ store: kyselyStore(subject.plain, { tablePrefix }) })
  const before = baseline && createKeycycle({ store: baseline(subject.plain, { tablePrefix }) })
  const { key, token } = await kc.createOrganisation()
  // Some rows around it, so the index is not a one-row table.
  for (let i = 0; i < 200; i++) await kc.createOrganisation()
  const unknown = (await createKeycycle({ store: memoryStore() }).createOrganisation()).token
  const wrong = mintToken('kc', key.id, crypto.getRandomValues(new Uint8Array(32))).token
  const floor = createKeycycle({ store: memoryStore() })
  const floorToken = (await floor.createOrganisation()).token
  const rawSelect = subject.rawSelect(`${tablePrefix}keys`)

  const tasks: [string, () => Promise<unknown>][] = [
    ['raw PK select, prepared once', () => rawSelect(key.id)],
    ['verify: valid token', () => kc.verify(token)],
    ['verify: wrong secret', () => kc.verify(wrong)],
    ['verify: unknown key', () => kc.verify(unknown)],
    ['store.getKeyWithOrganisation', async () => store.getKeyWithOrganisation(key.id)],
    ['verify over the memory store (no I/O)', () => floor.verify(floorToken)],
  ]
  tasks.push(['verify, on Kysely alone', () => plain.verify(token)])
  if (before) tasks.push(['verify, baseline build', () => before.verify(token)])

  const rounds = Number(process.env.ROUNDS ?? 9)
  const perRound: number[][] = []
  for (let round = 0; round <= rounds; round++) {
    const bench = new Bench({ time: 300, warmupTime: 50 })
    for (const [name, fn] of tasks) bench.add(name, async () => void (await fn()))
    await bench.run()
    const hz = bench.tasks.map(
      (t) => (t.result as { throughput?: { mean: number } }).throughput?.mean ?? 0,
    )
    if (round > 0) perRound.push(hz) // round 0 only warms up
  }
  const ratio = (a: number, b: number) => median(perRound.map((hz) => hz[a]! / hz[b]!))
  // The floor: a raw select plus the core's own work, in time per call.
  const floorRatio = median(perRound.map((hz) => (1 / hz[0]! + 1 / hz[5]!) / (1 / hz[1]!)))

  console.log(`\n${dialect}: median of ${rounds} rounds, ratio to the raw PK select\n`)
  for (const [i, [name]] of tasks.entries()) {
    const ops = Math.round(median(perRound.map((hz) => hz[i]!)))
    const us = (1e6 / ops).toFixed(1)
    console.log(
      `${name.padEnd(40)} ${ops.toString().padStart(8)} ops/s ${us.padStart(7)} µs   ×${ratio(i, 0).toFixed(2)}`,
    )
  }
  console.log(`verify ÷ (raw select + core work):       ×${floorRatio.toFixed(2)}`)
  console.log(`unknown key ÷ wrong secret:              ×${ratio(3, 2).toFixed(2)}`)

  await Promise.all([kc.close(), plain.close(), before?.close()])
  for (const table of [
    'usage_hours',
    'events',
    'keys',
    'organisations',
    'migrations',
    'migrations_lock',
  ]) {
    await subject.plain.schema.dropTable(`${tablePrefix}${table}`).execute()
  }
  if (dialect === 'postgres') await sql.raw(dropPgSpendFunction(tablePrefix)).execute(subject.plain)
  await subject.close()
}

const chosen = process.argv.slice(2) as Dialect[]
for (const dialect of chosen.length > 0 ? chosen : DIALECTS) await measure(dialect)
