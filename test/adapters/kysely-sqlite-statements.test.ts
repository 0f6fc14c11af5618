import Database from 'better-sqlite3'
import { Kysely, type SqliteDatabase, SqliteDialect, sql } from 'kysely'
import { describe, expect, it } from 'vitest'
import { kyselyStore, migrateKeycycle, reusePreparedStatements } from '../../adapters/kysely'
import { createKeycycle } from '../../src'
import { ADMIN } from '../helpers/setup'

/** A better-sqlite3 database that counts `prepare` calls by SQL text. */
function countingDatabase() {
  const database = new Database(':memory:')
  const prepared = new Map<string, number>()
  const counting: SqliteDatabase = {
    prepare(text) {
      prepared.set(text, (prepared.get(text) ?? 0) + 1)
      return database.prepare(text)
    },
    close: () => database.close(),
  }
  const total = () => [...prepared.values()].reduce((a, b) => a + b, 0)
  return { counting, prepared, total, database }
}

interface T {
  t: { id: number; v: string }
}

describe('reusePreparedStatements', () => {
  it('prepares each SQL text once, however often it runs', async () => {
    const { counting, prepared } = countingDatabase()
    const db = new Kysely<T>({
      dialect: new SqliteDialect({ database: reusePreparedStatements(counting) }),
    })
    await sql`create table t (id integer primary key, v text)`.execute(db)
    for (let i = 0; i < 20; i++)
      await db
        .insertInto('t')
        .values({ id: i, v: `v${i}` })
        .execute()
    for (let i = 0; i < 20; i++) {
      expect(await db.selectFrom('t').select('v').where('id', '=', i).executeTakeFirst()).toEqual({
        v: `v${i}`,
      })
    }
    expect([...prepared.values()]).toEqual([1, 1, 1])
    await db.destroy()
  })

  it('verifies, through keycycle, with no prepare at all once warm', async () => {
    const { counting, total } = countingDatabase()
    const db = new Kysely<unknown>({
      dialect: new SqliteDialect({ database: reusePreparedStatements(counting) }),
    })
    await migrateKeycycle(db)
    const kc = createKeycycle({ store: kyselyStore(db) })
    const { key, token } = await kc.createOrganisation()
    expect(await kc.verify(token)).toMatchObject({ ok: true })
    const before = total()
    for (let i = 0; i < 10; i++) expect(await kc.verify(token)).toMatchObject({ ok: true })
    await kc.as(ADMIN).updateKey(key.id, { name: 'renamed' })
    await kc.as(ADMIN).updateKey(key.id, { name: 'again' })
    const afterFirstWrite = total()
    await kc.as(ADMIN).updateKey(key.id, { name: 'third' })
    expect(await kc.verify(token)).toMatchObject({ ok: true, key: { name: 'third' } })
    expect(before).toBeGreaterThan(0)
    expect(total()).toBe(afterFirstWrite)
    await db.destroy()
  })

  it('keeps transactions as Kysely runs them: a rollback undoes, on the one connection', async () => {
    const db = new Kysely<T>({
      dialect: new SqliteDialect({ database: reusePreparedStatements(new Database(':memory:')) }),
    })
    await sql`create table t (id integer primary key, v text)`.execute(db)
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.insertInto('t').values({ id: 1, v: 'a' }).execute()
        await trx.insertInto('t').values({ id: 1, v: 'b' }).execute() // duplicate: rolls back
      }),
    ).rejects.toThrow()
    expect(await db.selectFrom('t').selectAll().execute()).toEqual([])
    await db.destroy()
  })

  it('hands out no statement that is busy iterating: the same text then gets a fresh one', () => {
    const database = reusePreparedStatements(new Database(':memory:'))
    const text = 'select 1 as n union all select 2'
    const first = database.prepare(text)
    const rows = first.iterate([])
    rows.next() // `first` is busy until the iteration ends
    const during = database.prepare(text)
    expect(during).not.toBe(first)
    expect(during.all([])).toEqual([{ n: 1 }, { n: 2 }])
    rows.return?.()
    expect(database.prepare(text)).toBe(first)
    database.close()
  })

  it('keeps at most max statements, dropping the least recently used', async () => {
    const { counting, prepared } = countingDatabase()
    const database = reusePreparedStatements(counting, { max: 2 })
    for (const text of ['select 1', 'select 2', 'select 1', 'select 3', 'select 1', 'select 2']) {
      database.prepare(text)
    }
    expect(Object.fromEntries(prepared)).toEqual({ 'select 1': 1, 'select 2': 2, 'select 3': 1 })
    database.close()
  })

  it('refuses a bad max or something that is not a database', () => {
    const database = new Database(':memory:')
    for (const max of [0, -1, 1.5, Number.NaN]) {
      expect(() => reusePreparedStatements(database, { max })).toThrow(
        expect.objectContaining({ code: 'validation', details: { field: 'max' } }),
      )
    }
    expect(() => reusePreparedStatements({} as SqliteDatabase)).toThrow(
      expect.objectContaining({ code: 'validation', details: { field: 'database' } }),
    )
    database.close()
  })

  it('closes the database when Kysely is destroyed', async () => {
    const database = new Database(':memory:')
    const db = new Kysely<T>({
      dialect: new SqliteDialect({ database: reusePreparedStatements(database) }),
    })
    await sql`select 1`.execute(db)
    await db.destroy()
    expect(database.open).toBe(false)
  })
})
