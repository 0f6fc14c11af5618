// The adapters' names for their own storage, for `organisationIds`; none of these loads a driver.
import { readKyselyArguments } from '../../adapters/kysely/options'
import { layout } from '../../adapters/redis/layout'
import { readRedisArguments } from '../../adapters/redis/options'
import { glob, keyPrefixOf, scanMasters } from '../../adapters/redis/scan'
import type { KeyStore } from '../store'

/** A store the CLI opened from a URL, with what it takes to migrate and close it. */
export interface OpenedStore {
  store: KeyStore
  /** `sqlite`, `postgres`, `mysql` or `redis`. */
  kind: StoreKind
  /** Creates or upgrades the tables; the names of the migrations applied (none for Redis). */
  migrate(): Promise<string[]>
  /**
   * Up to `limit` organisation IDs, newest first, each older than `before` when given. The
   * store port has no such read, so this one reads the adapter's storage by the adapter's own
   * names: a SQL store's organisations table by its primary key; on Redis, a SCAN of every
   * name under the prefix (the whole keyspace is walked at each call).
   */
  organisationIds(query: { before?: string | undefined; limit: number }): Promise<string[]>
  close(): Promise<void>
}

export type StoreKind = 'sqlite' | 'postgres' | 'mysql' | 'redis'

/** The store URL is unusable, or its driver is missing. */
export class StoreUrlError extends Error {
  constructor(
    message: string,
    readonly missingDriver = false,
  ) {
    super(message)
    this.name = 'StoreUrlError'
  }
}

/** The kind of store a URL names, and what its driver is given. */
export function parseStoreUrl(url: string): { kind: StoreKind; target: string } {
  const scheme = /^([a-z+]+):/.exec(url)?.[1]
  switch (scheme) {
    case 'sqlite': {
      // sqlite:<file>, sqlite:///abs/file and sqlite://rel/file all name a file.
      const file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)|^\/\//, '')
      if (file === '') throw new StoreUrlError('sqlite: needs a file, e.g. sqlite:./keycycle.db')
      return { kind: 'sqlite', target: file }
    }
    case 'postgres':
    case 'postgresql':
      return { kind: 'postgres', target: url }
    case 'mysql':
    case 'mariadb':
      return { kind: 'mysql', target: url.replace(/^mariadb:/, 'mysql:') }
    case 'redis':
    case 'rediss':
      return { kind: 'redis', target: url }
  }
  throw new StoreUrlError(
    `unknown store URL ${JSON.stringify(url.replace(/\/\/[^@/]*@/, '//…@'))}: use sqlite:<file>, postgres://…, mysql://… or redis://…`,
  )
}

const DRIVERS: Record<StoreKind, string[]> = {
  sqlite: ['kysely', 'better-sqlite3'],
  postgres: ['kysely', 'pg'],
  mysql: ['kysely', 'mysql2'],
  redis: ['ioredis'],
}

// Whether `error` says `name` itself cannot be found (not a module it imports in turn).
function isMissing(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    message.includes(`'${name}'`)
  )
}

/**
 * Imports a store's driver package `name`, or throws a {@link StoreUrlError} naming exactly the
 * packages of the store that are not installed (`kysely` may be there and `better-sqlite3` not).
 * The drivers are optional peer dependencies: only those a URL names are ever loaded.
 */
async function load<T>(kind: StoreKind, name: string, importer: () => Promise<T>): Promise<T> {
  try {
    return await importer()
  } catch (error) {
    if (!isMissing(error, name)) throw error
    const missing: string[] = []
    for (const other of DRIVERS[kind]) {
      // A variable specifier: resolved at run time, beside the binary, as the importers are.
      await import(other).catch((failure: unknown) => {
        if (isMissing(failure, other)) missing.push(other)
      })
    }
    if (!missing.includes(name)) missing.push(name)
    const needs = missing.length === 1 ? 'the package' : 'the packages'
    const are = missing.length === 1 ? 'is' : 'are'
    throw new StoreUrlError(
      `a ${kind} store needs ${needs} ${missing.join(' ')}, which ${are} not installed: npm install ${missing.join(' ')}`,
      true,
    )
  }
}

// Drivers are CommonJS; their exports arrive as the default export, or as named ones.
const interop = <T>(module: T | { default: T }): T =>
  (module as { default?: T }).default ?? (module as T)

/**
 * Opens the store a URL names (`sqlite:<file>`, `postgres://…`, `mysql://…`, `redis://…`),
 * loading only that store's driver. `prefix` is the table prefix (SQL) or key prefix (Redis);
 * the adapters' defaults when undefined.
 */
export async function openStore(url: string, prefix?: string): Promise<OpenedStore> {
  const { kind, target } = parseStoreUrl(url)
  if (kind === 'redis') {
    const { Redis } = await load(kind, 'ioredis', () => import('ioredis'))
    const { redisStore } = await import('../../adapters/redis')
    const client = new Redis(target, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => (attempt > 2 ? null : 100),
    })
    // Checked before connecting: a refused prefix must not leave a connection holding the
    // process open.
    const options = prefix === undefined ? {} : { prefix }
    const [before, after] = layout(readRedisArguments(client, options).prefix).organisationAround
    await client.connect().catch(() => {
      // Commands then fail within the store's deadline as `unavailable`.
    })
    return {
      kind,
      store: redisStore(client, options),
      migrate: async () => [],
      organisationIds: async (query) => {
        const start = keyPrefixOf(client).length + before.length
        const ids = new Set<string>()
        await scanMasters(client, `${glob(before)}org_*${glob(after)}`, async (_, names) => {
          for (const name of names) ids.add(name.slice(start, -after.length))
        })
        return [...ids]
          .filter((id) => query.before === undefined || id < query.before)
          .sort()
          .reverse()
          .slice(0, query.limit)
      },
      close: async () => {
        client.disconnect()
      },
    }
  }
  const kysely = await load(kind, 'kysely', () => import('kysely'))
  const adapter = await load(kind, 'kysely', () => import('../../adapters/kysely'))
  let dialect: import('kysely').Dialect
  if (kind === 'sqlite') {
    const Database = interop(await load(kind, 'better-sqlite3', () => import('better-sqlite3')))
    dialect = new kysely.SqliteDialect({ database: new Database(target, { timeout: 5000 }) })
  } else if (kind === 'postgres') {
    const pg = interop(await load(kind, 'pg', () => import('pg')))
    dialect = new kysely.PostgresDialect({
      pool: new pg.Pool({ connectionString: target, max: 2, connectionTimeoutMillis: 5000 }),
    })
  } else {
    const mysql = interop(await load(kind, 'mysql2', () => import('mysql2')))
    dialect = new kysely.MysqlDialect({
      pool: mysql.createPool({ uri: target, connectionLimit: 2 }),
    })
  }
  const db = new kysely.Kysely<unknown>({ dialect })
  const options = prefix === undefined ? {} : { tablePrefix: prefix }
  const table = readKyselyArguments(db, options, 'migrate').names.organisations
  // One table whose name is known only now: typed for the one column read.
  const organisations = db as unknown as import('kysely').Kysely<Record<string, { id: string }>>
  return {
    kind,
    store: adapter.kyselyStore(db, options),
    migrate: async () =>
      (await adapter.migrateKeycycle(db, options)).map((r) => `${r.migrationName} ${r.status}`),
    organisationIds: async (query) => {
      let select = organisations.selectFrom(table).select('id')
      if (query.before !== undefined) select = select.where('id', '<', query.before)
      const rows = await select.orderBy('id', 'desc').limit(query.limit).execute()
      return rows.map((row) => row.id)
    },
    close: () => db.destroy(),
  }
}
