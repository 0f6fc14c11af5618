import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely'
import { createPool as createMysqlPool } from 'mysql2'
import { createPool as createMysqlPromisePool } from 'mysql2/promise'
import pg from 'pg'
import {
  type KyselyStoreOptions,
  kyselyStore,
  migrateKeycycle,
  reusePreparedStatements,
} from '../../adapters/kysely'
import { dropPgSpendFunction } from '../../adapters/kysely/pg-spend-function'
import type { OpenStore, StoreHarness } from '../../src/conformance'
import type { KeyStore } from '../../src/store'
import { freePort } from '../helpers/ports'

// Every SQL suite runs with the process in a far-from-UTC zone, and the database sessions in
// another one: BIGINT epoch ms must make both irrelevant.
process.env.TZ = 'Pacific/Chatham'
export const SESSION_TIME_ZONE = '+09:00'

export const PG_URL = process.env.KEYCYCLE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
export const MYSQL_URL = process.env.KEYCYCLE_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'

export type Dialect = 'sqlite' | 'postgres' | 'mysql'

/** A database opened for one suite run: Kysely instances, raw access, and its table prefix. */
export interface SqlBackend {
  prefix: string
  /** Kysely instances over the same data, each with its own connections; the first is the store's. */
  dbs: Kysely<unknown>[]
  /** The store options of each of `dbs` besides the prefix (default: none). */
  storeOptions?: Omit<KyselyStoreOptions, 'tablePrefix'>[]
  /** Rows of a table, read with the raw driver, bypassing Kysely and the adapter. */
  rawRows(table: string): Promise<unknown[]>
  /** The session's time zone as the server reports it. */
  sessionTimeZone(): Promise<string>
  /** The pool's connection counts, where the dialect has a pool. */
  poolStats?(): { total: number; idle: number; waiting: number }
  /** Drops every table keycycle creates under `prefix`, through the raw driver. */
  dropTables(prefix: string): Promise<void>
  close(): Promise<void>
}

export const randomPrefix = () => `kc${Math.random().toString(36).slice(2, 8)}_`
export const TABLES = [
  'usage_hours',
  'events',
  'keys',
  'organisations',
  'migrations',
  'migrations_lock',
]

async function openSqlite(): Promise<SqlBackend> {
  const dir = mkdtempSync(join(tmpdir(), 'keycycle-sqlite-'))
  const file = join(dir, 'keycycle.db')
  const connect = () => {
    const database = new Database(file, { timeout: 5000 })
    database.pragma('journal_mode = WAL')
    database.pragma('foreign_keys = ON')
    return database
  }
  // Three connections to one file: concurrent writers really race for the same rows. Two reuse
  // prepared statements, as the README advises, and the first store is also given its
  // connection (`sqlite`, its fixed reads beside Kysely); the third runs on Kysely's plain driver.
  const connections = [connect(), connect(), connect()]
  const dbs = connections.map(
    (connection, i) =>
      new Kysely<unknown>({
        dialect: new SqliteDialect({
          database: i < 2 ? reusePreparedStatements(connection) : connection,
        }),
      }),
  )
  const raw = connect()
  return {
    prefix: randomPrefix(),
    dbs,
    storeOptions: [{ sqlite: connections[0]! }, {}, {}],
    rawRows: async (table) => raw.prepare(`SELECT * FROM "${table}"`).all(),
    sessionTimeZone: async () => `process TZ ${process.env.TZ}`,
    async dropTables(prefix) {
      for (const t of TABLES) raw.exec(`DROP TABLE IF EXISTS "${prefix}${t}"`)
    },
    async close() {
      await Promise.all(dbs.map((db) => db.destroy()))
      raw.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function openPostgres(): Promise<SqlBackend> {
  // Three pools, as three processes would have: a change made through one must reach the others
  // over LISTEN/NOTIFY. Two are given to their stores (prepared statements and `watch`); the
  // third runs everything through Kysely, and its writes must be announced all the same.
  const pools = [0, 1, 2].map(
    () =>
      new pg.Pool({
        connectionString: PG_URL,
        max: 10,
        options: `-c TimeZone=${SESSION_TIME_ZONE}`,
      }),
  )
  const pool = pools[0]!
  const raw = new pg.Client({ connectionString: PG_URL })
  await raw.connect()
  const prefix = randomPrefix()
  const dropTables = async (prefix: string) => {
    for (const t of TABLES) await raw.query(`DROP TABLE IF EXISTS "${prefix}${t}" CASCADE`)
    await raw.query(dropPgSpendFunction(prefix))
  }
  const dbs = pools.map((pool) => new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) }))
  return {
    prefix,
    dbs,
    storeOptions: [{ pg: pools[0]! }, { pg: pools[1]! }, {}],
    rawRows: async (table) => (await raw.query(`SELECT * FROM "${table}"`)).rows,
    sessionTimeZone: async () => (await pool.query('SHOW TIME ZONE')).rows[0].TimeZone,
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    dropTables,
    async close() {
      await dropTables(prefix)
      await raw.end()
      await Promise.all(dbs.map((db) => db.destroy().catch(() => {})))
    },
  }
}

async function openMysql(): Promise<SqlBackend> {
  // Two pools, as two processes would have.
  const pools = [0, 1].map(() => {
    const pool = createMysqlPool({
      uri: MYSQL_URL,
      connectionLimit: 10,
      timezone: SESSION_TIME_ZONE,
    })
    pool.on('connection', (connection) =>
      connection.query(`SET time_zone = '${SESSION_TIME_ZONE}'`),
    )
    return pool
  })
  const raw = createMysqlPromisePool({ uri: MYSQL_URL, connectionLimit: 1 })
  const prefix = randomPrefix()
  const dbs = pools.map(
    (pool) => new Kysely<unknown>({ dialect: new MysqlDialect({ pool: async () => pool }) }),
  )
  const dropTables = async (prefix: string) => {
    for (const t of TABLES) await raw.query(`DROP TABLE IF EXISTS \`${prefix}${t}\``)
  }
  return {
    prefix,
    dbs,
    // The first store runs its statements with mysql2's execute; the second through Kysely.
    storeOptions: [{ mysql: pools[0]! }, {}],
    rawRows: async (table) => (await raw.query(`SELECT * FROM \`${table}\``))[0] as unknown[],
    sessionTimeZone: async () => {
      const [rows] = await pools[0]!.promise().query('SELECT @@session.time_zone AS tz')
      return (rows as { tz: string }[])[0]!.tz
    },
    dropTables,
    async close() {
      await dropTables(prefix)
      await raw.end()
      await Promise.all(dbs.map((db) => db.destroy()))
    },
  }
}

const OPENERS: Record<Dialect, () => Promise<SqlBackend>> = {
  sqlite: openSqlite,
  postgres: openPostgres,
  mysql: openMysql,
}

/**
 * A Kysely instance whose database cannot answer: a server port nothing listens on, or (SQLite)
 * a file in a folder that does not exist.
 */
export async function unreachableDb(dialect: Dialect): Promise<Kysely<unknown>> {
  if (dialect === 'sqlite') {
    const file = join(tmpdir(), `keycycle-missing-${process.pid}`, 'none', 'keycycle.db')
    return new Kysely<unknown>({
      dialect: new SqliteDialect({ database: async () => new Database(file) }),
    })
  }
  const port = await freePort()
  if (dialect === 'postgres') {
    const pool = new pg.Pool({ host: '127.0.0.1', port, connectionTimeoutMillis: 1000 })
    return new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) })
  }
  const pool = createMysqlPool({ host: '127.0.0.1', port, connectTimeout: 1000 })
  return new Kysely<unknown>({ dialect: new MysqlDialect({ pool: async () => pool }) })
}

/** True when the server answers within a second; SQLite always does. */
export async function reachable(dialect: Dialect): Promise<boolean> {
  if (dialect === 'sqlite') return true
  const probe = async () => {
    if (dialect === 'postgres') {
      const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 1000 })
      await client.connect()
      await client.end()
    } else {
      const pool = createMysqlPromisePool({
        uri: MYSQL_URL,
        connectTimeout: 1000,
        connectionLimit: 1,
      })
      await pool.query('SELECT 1')
      await pool.end()
    }
    return true
  }
  return probe().catch(() => false)
}

/** Dumps every keycycle table through the raw driver, as one JSON text. */
export async function dumpTables(backend: SqlBackend): Promise<string> {
  const tables = ['organisations', 'keys', 'events', 'usage_hours', 'migrations'].map(
    (t) => backend.prefix + t,
  )
  const dump: Record<string, unknown[]> = {}
  for (const table of tables) dump[table] = await backend.rawRows(table)
  return JSON.stringify(dump, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))
}

/** An opened SQL namespace: the store's view plus the backend, for the SQL extras. */
export interface SqlOpenStore extends OpenStore {
  dialect: Dialect
  backend: SqlBackend
}

/** The conformance harness for one dialect: a fresh, migrated table prefix per open. */
export function sqlHarness(dialect: Dialect, rotations: number): StoreHarness<SqlOpenStore> {
  return {
    name: `kysely ${dialect}`,
    rotations,
    // Only PostgreSQL has a change channel (LISTEN/NOTIFY, given a pg Pool).
    watch: dialect === 'postgres',
    async open() {
      const backend = await OPENERS[dialect]()
      await migrateKeycycle(backend.dbs[0]!, { tablePrefix: backend.prefix })
      const clients: KeyStore[] = backend.dbs.map((db, i) =>
        kyselyStore(db, { ...backend.storeOptions?.[i], tablePrefix: backend.prefix }),
      )
      return {
        dialect,
        backend,
        store: clients[0]!,
        clients,
        dump: () => dumpTables(backend),
        close: () => backend.close(),
      }
    },
  }
}
