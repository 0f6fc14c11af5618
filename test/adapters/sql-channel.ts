import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { kyselyStore, migrateKeycycle } from '../../adapters/kysely'
import { dropPgSpendFunction } from '../../adapters/kysely/pg-spend-function'
import { DEFAULT_STORE_TIMEOUT_MS } from '../../src/store/deadline'
import type { ChannelFaultHarness } from './channel-faults'
import { PG_URL, randomPrefix, TABLES } from './sql-harness'
import { tcpGate } from './tcp-gate'

const url = new URL(PG_URL)
/** The connection settings of `PG_URL`, at another port (a gate's). */
const at = (port: number) => ({
  host: '127.0.0.1',
  port,
  user: decodeURIComponent(url.username),
  password: decodeURIComponent(url.password),
  database: url.pathname.slice(1),
})

/**
 * The change channel's fault suite on PostgreSQL. The server is shared, so it is never paused:
 * the watching store's pool reaches it through a gate that holds every byte instead (to the
 * client, a paused server); its listening connection is cut with `pg_terminate_backend`. The
 * connect timeout is the store's own, the policy's `DEFAULT_STORE_TIMEOUT_MS`.
 */
export const pgChannelHarness: ChannelFaultHarness = {
  name: 'PostgreSQL',
  async open() {
    const gate = await tcpGate(Number(url.port || 5432))
    const tablePrefix = randomPrefix()
    // The watching pool serves `watch` only, so its connections are the listening ones.
    const application_name = `kc_faults_${tablePrefix}`
    const watching = new pg.Pool({ ...at(gate.port), application_name, max: 4 })
    watching.on('error', () => {}) // the connections the tests cut
    const direct = new pg.Pool({ connectionString: PG_URL, max: 4 })
    const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: direct }) })
    await migrateKeycycle(db, { tablePrefix })
    const channel = `${tablePrefix}changes`
    return {
      watcher: kyselyStore(db, { tablePrefix, pg: watching }),
      writer: kyselyStore(db, { tablePrefix }),
      gate,
      connectTimeoutMs: DEFAULT_STORE_TIMEOUT_MS,
      pause: () => gate.hold(),
      resume: () => gate.release(),
      cut: async () => {
        await direct.query(
          'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
          [application_name],
        )
      },
      send: async (text) => {
        await direct.query('select pg_notify($1, $2)', [channel, text])
      },
      listeners: async () => {
        const { rows } = await direct.query<{ n: string }>(
          'select count(*) as n from pg_stat_activity where application_name = $1',
          [application_name],
        )
        return Number(rows[0]!.n)
      },
      async close() {
        await gate.close()
        await watching.end()
        for (const t of TABLES)
          await direct.query(`DROP TABLE IF EXISTS "${tablePrefix}${t}" CASCADE`)
        await direct.query(dropPgSpendFunction(tablePrefix))
        await db.destroy()
      },
    }
  },
  silent(port) {
    const pool = new pg.Pool({ ...at(port), max: 2 })
    pool.on('error', () => {})
    const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) })
    return {
      store: kyselyStore(db, { pg: pool }),
      connectTimeoutMs: DEFAULT_STORE_TIMEOUT_MS,
      close: () => db.destroy(),
    }
  },
}
