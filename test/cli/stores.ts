import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { createConnection } from 'mysql2/promise'
import pg from 'pg'
import { dropPgSpendFunction } from '../../adapters/kysely/pg-spend-function'
import type { CliStore } from './lifecycle'

// The stores the CLI suites run against, each under a prefix of its own, cleaned up by dropping
// exactly what keycycle creates under it.

const PG_URL = process.env.KEYCYCLE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const MYSQL_URL = process.env.KEYCYCLE_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'
const REDIS_URL = process.env.KEYCYCLE_REDIS_URL ?? 'redis://127.0.0.1:6379'

const TABLES = ['usage_hours', 'events', 'keys', 'organisations', 'migrations', 'migrations_lock']
const suffix = () => Math.random().toString(36).slice(2, 8)

export function sqliteStore(): CliStore {
  const file = join(tmpdir(), `keycycle-cli-${suffix()}.db`)
  return {
    name: 'SQLite',
    kind: 'sqlite',
    url: `sqlite:${file}`,
    prefix: 'keycycle_',
    reachable: async () => true,
    cleanup: async () => {
      for (const extra of ['', '-journal', '-wal', '-shm']) rmSync(file + extra, { force: true })
    },
  }
}

export function postgresStore(): CliStore {
  const prefix = `kccli_${suffix()}_`
  const withClient = async <T>(work: (client: pg.Client) => Promise<T>) => {
    const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 1000 })
    await client.connect()
    try {
      return await work(client)
    } finally {
      await client.end()
    }
  }
  return {
    name: 'PostgreSQL',
    kind: 'postgres',
    url: PG_URL,
    prefix,
    reachable: () => withClient(async (c) => (await c.query('select 1')).rowCount === 1),
    cleanup: () =>
      withClient(async (c) => {
        for (const t of TABLES) await c.query(`DROP TABLE IF EXISTS "${prefix}${t}" CASCADE`)
        await c.query(dropPgSpendFunction(prefix))
      }),
  }
}

export function mysqlStore(): CliStore {
  const prefix = `kccli_${suffix()}_`
  const withConnection = async <T>(
    work: (c: Awaited<ReturnType<typeof createConnection>>) => Promise<T>,
  ) => {
    const connection = await createConnection({ uri: MYSQL_URL, connectTimeout: 1000 })
    try {
      return await work(connection)
    } finally {
      await connection.end()
    }
  }
  return {
    name: 'MySQL',
    kind: 'mysql',
    url: MYSQL_URL,
    prefix,
    reachable: () =>
      withConnection(async (c) => {
        await c.query('select 1')
        return true
      }),
    cleanup: () =>
      withConnection(async (c) => {
        for (const t of TABLES) await c.query(`DROP TABLE IF EXISTS \`${prefix}${t}\``)
      }),
  }
}

export function redisStore(): CliStore {
  const prefix = `kccli:${suffix()}:`
  const withClient = async <T>(work: (client: Redis) => Promise<T>) => {
    const client = new Redis(REDIS_URL, {
      lazyConnect: true,
      connectTimeout: 1000,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    })
    await client.connect()
    try {
      return await work(client)
    } finally {
      client.disconnect()
    }
  }
  return {
    name: 'Redis',
    kind: 'redis',
    url: REDIS_URL,
    prefix,
    reachable: () => withClient(async (c) => (await c.ping()) === 'PONG'),
    // Only the keys under this run's prefix: the server is shared, never flushed.
    cleanup: () =>
      withClient(async (c) => {
        let cursor = '0'
        do {
          const [next, keys] = await c.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
          if (keys.length > 0) await c.del(...keys)
          cursor = next
        } while (cursor !== '0')
      }),
  }
}
