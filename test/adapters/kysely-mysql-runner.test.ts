// The `mysql` option: fixed statements prepared once per connection and run by their handle; a
// handle the server no longer knows is prepared again, and the call that found it out succeeds.
import { Kysely, MysqlDialect } from 'kysely'
import { createPool, type PoolConnection } from 'mysql2'
import { describe, expect, it } from 'vitest'
import { kyselyStore, migrateKeycycle } from '../../adapters/kysely'
import { createKeycycle } from '../../src'
import { shouldRun } from '../helpers/should-run'
import { MYSQL_URL, reachable } from './sql-harness'

const TABLES = ['usage_hours', 'events', 'keys', 'organisations', 'migrations', 'migrations_lock']

if (await shouldRun('MySQL/MariaDB', () => reachable('mysql'))) {
  describe('kyselyStore mysql option', () => {
    it('prepares a statement once per connection, and again once the server forgot it', async () => {
      // One connection, so that every statement runs on the one whose prepares are counted.
      const pool = createPool({ uri: MYSQL_URL, connectionLimit: 1 })
      const prepared: string[] = []
      pool.on('connection', (connection) => {
        const prepare = connection.prepare.bind(connection)
        connection.prepare = ((sql: string, callback: never) => {
          prepared.push(sql)
          return prepare(sql, callback)
        }) as typeof connection.prepare
      })
      const db = new Kysely<unknown>({ dialect: new MysqlDialect({ pool: async () => pool }) })
      const tablePrefix = `kcrun${Math.random().toString(36).slice(2, 8)}_`
      try {
        await migrateKeycycle(db, { tablePrefix })
        const kc = createKeycycle({ store: kyselyStore(db, { tablePrefix, mysql: pool }) })
        const { token } = await kc.createOrganisation()
        for (let i = 0; i < 5; i++) expect(await kc.verify(token)).toMatchObject({ ok: true })
        const reads = prepared.filter((sql) => sql.includes('json_array'))
        expect(reads).toHaveLength(1)
        // The server forgets it (COM_STMT_CLOSE), as when mysql2's cache evicts a statement.
        const connection = await new Promise<PoolConnection>((resolve, reject) =>
          pool.getConnection((error, got) => (error ? reject(error) : resolve(got))),
        )
        connection.unprepare(reads[0]!)
        connection.release()
        expect(await kc.verify(token)).toMatchObject({ ok: true })
        expect(await kc.verify(token)).toMatchObject({ ok: true })
        expect(prepared.filter((sql) => sql === reads[0])).toHaveLength(2)
        await kc.close()
      } finally {
        const drop = pool.promise()
        await drop.query('SET foreign_key_checks = 0')
        for (const t of TABLES) await drop.query(`DROP TABLE IF EXISTS \`${tablePrefix}${t}\``)
        await db.destroy()
      }
    })
  })
}
