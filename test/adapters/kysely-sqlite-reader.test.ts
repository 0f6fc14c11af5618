// The `sqlite` option: fixed reads run on the host's better-sqlite3 connection, beside Kysely,
// on statements prepared once; never inside someone's open transaction; BUSY retried.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Kysely, type SqliteDatabase, SqliteDialect, sql } from 'kysely'
import { afterEach, describe, expect, it } from 'vitest'
import { kyselyStore, migrateKeycycle, type SqliteConnection } from '../../adapters/kysely'
import { createKeycycle, KeycycleError } from '../../src'
import { ADMIN } from '../helpers/setup'

const opened: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close()
})

/**
 * A store over a file in `journal` mode, given its connection; `kyselyPrepares` and
 * `storePrepares` count the statements prepared through Kysely and by the store beside it.
 */
async function fixture(journal: 'wal' | 'delete' = 'wal') {
  const dir = mkdtempSync(join(tmpdir(), 'keycycle-reader-'))
  const file = join(dir, 'keycycle.db')
  const connect = () => {
    const database = new Database(file)
    database.pragma(`journal_mode = ${journal}`)
    return database
  }
  const connection = connect()
  const counts = { kysely: 0, store: 0 }
  const viaKysely: SqliteDatabase = {
    prepare(text) {
      counts.kysely++
      return connection.prepare(text)
    },
    close: () => connection.close(),
  }
  const beside: SqliteConnection = {
    prepare(text) {
      counts.store++
      return connection.prepare(text)
    },
    get inTransaction() {
      return connection.inTransaction
    },
  }
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: viaKysely }) })
  const other = connect()
  opened.push(
    () => db.destroy(),
    () => void other.close(),
    () => rmSync(dir, { recursive: true, force: true }),
  )
  await migrateKeycycle(db)
  const store = kyselyStore(db, { sqlite: beside })
  return { db, store, counts, other, kc: createKeycycle({ store }) }
}

describe('kyselyStore sqlite option', () => {
  it('verifies on statements prepared once, with no query through Kysely', async () => {
    const { kc, counts } = await fixture()
    const { token } = await kc.createOrganisation()
    expect(await kc.verify(token)).toMatchObject({ ok: true })
    const before = { ...counts }
    expect(before.store).toBe(2) // the busy timeout, then the verification read
    for (let i = 0; i < 10; i++) expect(await kc.verify(token)).toMatchObject({ ok: true })
    expect(counts).toEqual(before)
  })

  it('answers the synchronous verification read at once when it can run, else not at all', async () => {
    const { db, store, kc } = await fixture()
    const { key } = await kc.createOrganisation()
    await store.getKeyWithOrganisation(key.id) // the first read sets the busy timeout first
    const answer = store.getKeyWithOrganisationSync!(key.id)
    expect(answer).not.toBeInstanceOf(Promise)
    expect(answer).toMatchObject({ key: { id: key.id } })
    const unknown = `${key.id.slice(0, -1)}${key.id.endsWith('0') ? '1' : '0'}`
    expect(store.getKeyWithOrganisationSync!(unknown)).toBeNull()
    // Inside a transaction it cannot answer (it would see uncommitted writes): undefined, and
    // the async read waits for the transaction (through Kysely).
    let now: unknown = null
    let waiting: unknown
    await db.transaction().execute(async () => {
      now = store.getKeyWithOrganisationSync!(key.id)
      waiting = store.getKeyWithOrganisation(key.id)
    })
    expect(now).toBeUndefined()
    expect(await waiting).toMatchObject({ key: { id: key.id } })
  })

  it('waits for a transaction open on the connection, and never sees its uncommitted writes', async () => {
    const { db, store, kc } = await fixture()
    const { key } = await kc.createOrganisation({ key: { name: 'committed' } })
    let read: Promise<unknown> | undefined
    let settled = false
    await db
      .transaction()
      .execute(async (trx) => {
        await sql`update keycycle_keys set name = 'uncommitted' where id = ${key.id}`.execute(trx)
        read = Promise.resolve(store.getKeyWithOrganisation(key.id)).finally(() => {
          settled = true
        })
        await new Promise((resolve) => setTimeout(resolve, 20))
        expect(settled).toBe(false)
        throw new Error('roll back')
      })
      .catch(() => {})
    expect(await read).toMatchObject({ key: { name: 'committed' } })
    // Once the transaction is over, reads run beside Kysely again, and see what was committed.
    await kc.as(ADMIN).updateKey(key.id, { name: 'renamed' })
    expect(await store.getKeyWithOrganisation(key.id)).toMatchObject({ key: { name: 'renamed' } })
  })

  it('retries SQLITE_BUSY asynchronously while another connection holds the database', async () => {
    const { kc, other } = await fixture('delete')
    const { token } = await kc.createOrganisation()
    expect(await kc.verify(token)).toMatchObject({ ok: true })
    other.exec('BEGIN EXCLUSIVE')
    let ticks = 0
    const ticking = setInterval(() => ticks++, 5)
    setTimeout(() => other.exec('ROLLBACK'), 150)
    const started = Date.now()
    expect(await kc.verify(token)).toMatchObject({ ok: true })
    clearInterval(ticking)
    expect(Date.now() - started).toBeGreaterThanOrEqual(140)
    expect(ticks).toBeGreaterThan(5) // the event loop ran meanwhile
  })

  it('answers unavailable after a second of SQLITE_BUSY', async () => {
    const { store, kc, other } = await fixture('delete')
    const { key } = await kc.createOrganisation()
    other.exec('BEGIN EXCLUSIVE')
    const started = Date.now()
    const error = await Promise.resolve(store.getKeyWithOrganisation(key.id)).catch(
      (e: unknown) => e,
    )
    other.exec('ROLLBACK')
    expect(error).toBeInstanceOf(KeycycleError)
    expect(error).toMatchObject({ code: 'unavailable', cause: { code: 'SQLITE_BUSY' } })
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
  })
})
