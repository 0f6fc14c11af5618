import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { migrateKeycycle } from '../../adapters/kysely'
import { dropPgSpendFunction } from '../../adapters/kysely/pg-spend-function'
import { shouldRun } from '../helpers/should-run'
import { PG_URL, reachable } from './sql-harness'

const runs = await shouldRun('PostgreSQL', () => reachable('postgres'))

// Kysely's migrator lists every table of the schema, then reads each one's columns; another
// process dropping any table in between must not fail a start. Here another connection creates
// and drops tables as fast as it can while migrations run with fresh prefixes.
describe.runIf(runs)('migrateKeycycle while another process drops tables (PostgreSQL)', () => {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 3 })
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) })
  const churn = new pg.Client({ connectionString: PG_URL })
  const prefixes: string[] = []
  afterAll(async () => {
    for (const prefix of prefixes) {
      const tables = await pool.query<{ tablename: string }>(
        `select tablename from pg_tables where tablename like $1`,
        [`${prefix}%`],
      )
      for (const { tablename } of tables.rows) await pool.query(`DROP TABLE "${tablename}" CASCADE`)
      await pool.query(dropPgSpendFunction(prefix))
    }
    await db.destroy()
  })

  it('succeeds every time', async () => {
    await churn.connect()
    const tag = `kcchurn${Math.random().toString(36).slice(2, 8)}`
    let stop = false
    const churning = (async () => {
      for (let i = 0; !stop; i++) {
        await churn.query(`CREATE TABLE ${tag}_${i} (id int)`)
        await churn.query(`DROP TABLE ${tag}_${i}`)
      }
    })()
    const failures: unknown[] = []
    try {
      for (let i = 0; i < 15; i++) {
        const prefix = `kcrace${Math.random().toString(36).slice(2, 8)}_`
        prefixes.push(prefix)
        await migrateKeycycle(db, { tablePrefix: prefix }).catch((error) => failures.push(error))
      }
    } finally {
      stop = true
      await churning
      await churn.end()
    }
    expect(failures).toEqual([])
  }, 120_000)
})
