// Opens the store a crash-test process works on, from the built package, by a JSON spec:
// { kind: 'sqlite', file } | { kind: 'postgres', prefix } | { kind: 'redis', prefix }.
// Used by the test and by its child processes alike, so both see the same data.
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely'
import { kyselyStore, migrateKeycycle } from '../../dist/kysely.js'
import { redisStore } from '../../dist/redis.js'

const PG_URL = process.env.KEYCYCLE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const REDIS_URL = process.env.KEYCYCLE_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** @returns {Promise<{ store: import('../../dist/index.js').KeyStore, close(): Promise<void> }>} */
export async function openStore(spec) {
  switch (spec.kind) {
    case 'sqlite': {
      const { default: Database } = await import('better-sqlite3')
      const db = new Kysely({ dialect: new SqliteDialect({ database: new Database(spec.file) }) })
      await migrateKeycycle(db)
      return { store: kyselyStore(db), close: () => db.destroy() }
    }
    case 'postgres': {
      const { default: pg } = await import('pg')
      const pool = new pg.Pool({ connectionString: PG_URL, max: 2 })
      const db = new Kysely({ dialect: new PostgresDialect({ pool }) })
      await migrateKeycycle(db, { tablePrefix: spec.prefix })
      return { store: kyselyStore(db, { tablePrefix: spec.prefix }), close: () => db.destroy() }
    }
    case 'redis': {
      const { Redis } = await import('ioredis')
      const client = new Redis(REDIS_URL)
      return {
        store: redisStore(client, { prefix: spec.prefix }),
        close: async () => {
          client.disconnect()
        },
      }
    }
    default:
      throw new Error(`unknown store kind ${spec.kind}`)
  }
}
