import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { kyselyStore, migrateKeycycle } from '../../adapters/kysely'
import { KeycycleError } from '../../src'
import { newId } from '../../src/core/ids'
import { newOrganisation } from '../../src/core/organisations'
import type { KeyStore } from '../../src/store'
import { T0 } from '../helpers/clock'
import { keyRecord } from '../helpers/records'
import {
  type Dialect,
  OPENERS,
  SESSION_TIME_ZONE,
  type SqlBackend,
  unreachableDb,
} from './sql-harness'

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n))
const admin = { kind: 'admin', id: 'suite' } as const

/** What only a SQL store has to show: migrations, time zones, transactions and pools. */
export function describeSqlExtras(dialect: Dialect): void {
  describe(`kysely ${dialect}: SQL specifics`, () => {
    let backend: SqlBackend
    let store: KeyStore
    beforeAll(async () => {
      backend = await OPENERS[dialect]()
      store = kyselyStore(backend.dbs[0]!, { tablePrefix: backend.prefix })
    })
    afterAll(() => backend?.close())

    it('migrates idempotently, also when several processes start at once', async () => {
      const db = backend.dbs[0]!
      const runs = await Promise.all(
        [1, 2, 3].map(() => migrateKeycycle(db, { tablePrefix: backend.prefix })),
      )
      expect(runs.flat().filter((r) => r.status === 'Success')).toHaveLength(1)
      expect(await migrateKeycycle(db, { tablePrefix: backend.prefix })).toEqual([])
      expect(await backend.rawRows(`${backend.prefix}migrations`)).toHaveLength(1)
    })

    it("rejects with the database's own error, never unavailable, when a migration fails", async () => {
      const db = backend.dbs[0]!
      const prefix = `${backend.prefix}clash_`
      // A table with keycycle's name but another shape: the first migration cannot create it.
      await sql`CREATE TABLE ${sql.table(`${prefix}organisations`)} (other integer)`.execute(db)
      try {
        const error = await migrateKeycycle(db, { tablePrefix: prefix }).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(Error)
        expect(error).not.toBeInstanceOf(KeycycleError)
        expect((error as Error).message).toMatch(/already exists/i)
      } finally {
        await backend.dropTables(prefix)
      }
    })

    it('rejects with unavailable, the driver error as cause, when the database does not answer', async () => {
      const db = await unreachableDb(dialect)
      try {
        const error = await migrateKeycycle(db).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(KeycycleError)
        expect(error).toMatchObject({ code: 'unavailable', status: 503 })
        expect((error as Error).cause).toBeInstanceOf(Error)
      } finally {
        await db.destroy().catch(() => {})
      }
    })

    it('runs its sessions outside UTC', async () => {
      const zone = await backend.sessionTimeZone()
      if (dialect === 'sqlite') expect(zone).toContain('Chatham')
      else expect(zone).toBe(SESSION_TIME_ZONE)
    })

    it('creates an organisation and its first key together or not at all', async () => {
      const taken = keyRecord()
      const first = newOrganisation({}, newId('org', T0, random(16)), admin, T0)
      expect(await store.insertOrganisation(first, { ...taken, organisation: first.id })).toBe(true)
      const second = newOrganisation({}, newId('org', T0, random(16)), admin, T0)
      // The key ID is taken, so the second statement of the transaction fails.
      expect(await store.insertOrganisation(second, { ...taken, organisation: second.id })).toBe(
        false,
      )
      expect(await store.getOrganisation(second.id)).toBeNull()
    })

    it('returns every pooled connection when transactions fail', async () => {
      const base = newOrganisation({}, newId('org', T0, random(16)), admin, T0)
      const key = { ...keyRecord(), organisation: base.id }
      expect(await store.insertOrganisation(base, key)).toBe(true)
      const failures = await Promise.all(
        Array.from({ length: 40 }, () =>
          store.insertOrganisation(base, { ...keyRecord(), organisation: base.id }),
        ),
      )
      expect(failures.every((ok) => ok === false)).toBe(true)
      // A leaked connection would leave these waiting for the pool forever.
      const reads = await Promise.all(
        Array.from({ length: 30 }, () => store.getOrganisation(base.id)),
      )
      expect(reads.every((o) => o?.id === base.id)).toBe(true)
      const stats = backend.poolStats?.()
      if (stats) {
        expect(stats.waiting).toBe(0)
        expect(stats.idle).toBe(stats.total)
        expect(stats.total).toBeLessThanOrEqual(10)
      }
    })
  })
}
