// The stores the bench runs against, each opened under a fresh table or key prefix and removed
// afterwards, with the floor of an uncached verification beside it: one raw read of a key
// record through the raw driver (a prepared primary-key select, or one HGET).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Redis } from 'ioredis'
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely'
import { createPool as createMysqlPool } from 'mysql2'
import { createPool as createMysqlPromisePool } from 'mysql2/promise'
import pg from 'pg'
import { kyselyStore, migrateKeycycle, reusePreparedStatements } from '../adapters/kysely'
import { tableNames } from '../adapters/kysely/schema'
import { memoryStore } from '../adapters/memory'
import { redisStore } from '../adapters/redis'
import type { KeyStore } from '../src/store'

export const STORES = ['memory', 'sqlite', 'postgres', 'mariadb', 'redis'] as const
export type StoreName = (typeof STORES)[number]

export const PG_URL = process.env.KEYCYCLE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
export const MYSQL_URL = process.env.KEYCYCLE_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'
export const REDIS_URL = process.env.KEYCYCLE_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A store opened for the bench. */
export interface Backend {
  name: StoreName
  store: KeyStore
  /** One raw read of a key's record, the floor of an uncached verification (none in memory). */
  raw: RawRead | null
  /** Removes everything the bench created and closes every connection. */
  close(): Promise<void>
}

/** The raw read; `prime` stores a record's JSON where the read finds it, if it needs one. */
export interface RawRead {
  label: string
  read(keyId: string): Promise<unknown>
  prime?(recordJson: string): Promise<void>
}

const suffix = () => Math.random().toString(36).slice(2, 8)
/** A table prefix no other run uses (lower case, as `TABLE_PREFIX` requires). */
export const tablePrefix = (tag = '') => `kcbench${tag}_${suffix()}_`
/** A Redis key prefix no other run uses. */
export const redisPrefix = (tag = '') => `kcbench${tag}:${suffix()}:`

/** A temporary SQLite file and connections to it, all in WAL mode. */
export function sqliteFile(): { open(): Database.Database; remove(): void; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'keycycle-bench-'))
  const path = join(dir, 'bench.db')
  const opened: Database.Database[] = []
  return {
    path,
    open() {
      const database = new Database(path, { timeout: 5000 })
      database.pragma('journal_mode = WAL')
      database.pragma('synchronous = NORMAL')
      opened.push(database)
      return database
    },
    remove() {
      for (const database of opened) if (database.open) database.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function openMemory(): Backend {
  return { name: 'memory', store: memoryStore(), raw: null, close: async () => {} }
}

async function openSqlite(): Promise<Backend> {
  const file = sqliteFile()
  // As the README advises: prepared statements kept (reusePreparedStatements), and the same
  // connection given to the store (`sqlite`) for its fixed reads.
  const sqlite = file.open()
  const database = reusePreparedStatements(sqlite)
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) })
  const prefix = tablePrefix()
  await migrateKeycycle(db, { tablePrefix: prefix })
  const select = file.open().prepare(`select * from "${tableNames(prefix).keys}" where id = ?`)
  return {
    name: 'sqlite',
    store: kyselyStore(db, { tablePrefix: prefix, sqlite }),
    raw: { label: 'raw PK select', read: async (id) => select.get(id) },
    async close() {
      await db.destroy()
      file.remove()
    },
  }
}

// Runs `open`; if it fails, releases what was already opened before passing the failure on.
async function orRelease<T>(open: () => Promise<T>, release: () => Promise<unknown>): Promise<T> {
  try {
    return await open()
  } catch (error) {
    await release().catch(() => {})
    throw error
  }
}

async function openPostgres(): Promise<Backend> {
  const options = { connectionString: PG_URL, max: 8, connectionTimeoutMillis: 3000 }
  const pool = new pg.Pool(options)
  const raw = new pg.Pool(options)
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) })
  const release = () => Promise.all([db.destroy(), raw.end()])
  return orRelease(async () => {
    const prefix = tablePrefix()
    await migrateKeycycle(db, { tablePrefix: prefix })
    const text = `select * from "${tableNames(prefix).keys}" where id = $1`
    const name = `${prefix}pk`
    return {
      name: 'postgres',
      // With the pool: named prepared statements, and the change channel for the cache.
      store: kyselyStore(db, { tablePrefix: prefix, pg: pool }),
      // On the store's own pool: a connection of its own, idle three quarters of the round,
      // answered measurably faster on this 2-core machine than the store's busy one (the roles
      // reversed, the ratio flipped to 1.43×), which timed scheduling, not work.
      raw: { label: 'raw PK select', read: (id) => pool.query({ name, text, values: [id] }) },
      async close() {
        // Everything the adapter created under the prefix, tables and functions alike.
        const { rows } = await raw.query<{ name: string; kind: string }>(
          `select tablename as name, 'table' as kind from pg_tables where schemaname = current_schema()
           union all select proname, 'function' from pg_proc where pronamespace = current_schema()::regnamespace`,
        )
        for (const row of rows.filter((r) => r.name.startsWith(prefix) && r.kind === 'table'))
          await raw.query(`drop table if exists "${row.name}" cascade`)
        for (const row of rows.filter((r) => r.name.startsWith(prefix) && r.kind === 'function'))
          await raw.query(`drop function if exists "${row.name}" cascade`)
        await release()
      },
    } satisfies Backend
  }, release)
}

async function openMariadb(): Promise<Backend> {
  const options = { uri: MYSQL_URL, connectionLimit: 8, connectTimeout: 3000 }
  const pool = createMysqlPool(options)
  const raw = createMysqlPromisePool(options)
  // The raw select runs on the store's own pool, as on PostgreSQL.
  const shared = pool.promise()
  const db = new Kysely<unknown>({ dialect: new MysqlDialect({ pool: async () => pool }) })
  const release = () => Promise.all([db.destroy(), raw.end()])
  return orRelease(async () => {
    const prefix = tablePrefix()
    await migrateKeycycle(db, { tablePrefix: prefix })
    const text = `select * from \`${tableNames(prefix).keys}\` where id = ?`
    return {
      name: 'mariadb',
      // With the pool: mysql2's prepared `execute` for the fixed statements.
      store: kyselyStore(db, { tablePrefix: prefix, mysql: pool }),
      raw: { label: 'raw PK select', read: (id) => shared.execute(text, [id]) },
      async close() {
        const [rows] = await raw.query(
          'select table_name as name from information_schema.tables where table_schema = database()',
        )
        const mine = (rows as { name: string }[])
          .map((r) => r.name)
          .filter((n) => n.startsWith(prefix))
        const connection = await raw.getConnection()
        await connection.query('set foreign_key_checks = 0')
        for (const name of mine) await connection.query(`drop table if exists \`${name}\``)
        await connection.query('set foreign_key_checks = 1')
        connection.release()
        await release()
      },
    } satisfies Backend
  }, release)
}

/** A connected ioredis client; rejects (and gives up) when the server does not answer. */
export async function redisClient(options: { autoPipelining?: boolean } = {}): Promise<Redis> {
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 1,
    enableAutoPipelining: options.autoPipelining ?? false,
  })
  try {
    await client.connect()
    return client
  } catch (error) {
    client.disconnect()
    throw error
  }
}

/** Deletes every Redis key under `prefix`. */
export async function deleteRedisPrefix(client: Redis, prefix: string): Promise<number> {
  let cursor = '0'
  let deleted = 0
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000)
    cursor = next
    if (keys.length > 0) deleted += await client.unlink(...keys)
  } while (cursor !== '0')
  return deleted
}

async function openRedis(): Promise<Backend> {
  const client = await redisClient()
  const raw = await redisClient()
  const prefix = redisPrefix()
  // The floor reads a key's record (primed with a real one) from a hash of the bench's own, so
  // it does not depend on the adapter's layout, which may change; on the store's own
  // connection, as the SQL floors run on the store's pool.
  const floorHash = `${prefix}floor`
  return {
    name: 'redis',
    store: redisStore(client, { prefix }),
    raw: {
      label: 'raw HGET',
      read: () => client.hget(floorHash, 'record'),
      prime: async (json) => void (await raw.hset(floorHash, 'record', json)),
    },
    async close() {
      await deleteRedisPrefix(raw, prefix)
      client.disconnect()
      raw.disconnect()
    },
  }
}

/** Opens a store; rejects when its server cannot be reached. */
export function openBackend(name: StoreName): Promise<Backend> {
  switch (name) {
    case 'memory':
      return Promise.resolve(openMemory())
    case 'sqlite':
      return openSqlite()
    case 'postgres':
      return openPostgres()
    case 'mariadb':
      return openMariadb()
    case 'redis':
      return openRedis()
  }
}
