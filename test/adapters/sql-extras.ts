import { sql } from 'kysely'
import { describe, expect } from 'vitest'
import { migrateKeycycle } from '../../adapters/kysely'
import { KeycycleError } from '../../src'
import { ADMIN, keyRecord, randomBytes, type StoreSuiteContext, T0 } from '../../src/conformance'
import { newId } from '../../src/core/ids'
import { newOrganisation } from '../../src/core/organisations'
import { SESSION_TIME_ZONE, type SqlOpenStore, unreachableDb } from './sql-harness'

const organisation = () => newOrganisation({}, newId('org', T0, randomBytes(16)), ADMIN, T0)

/**
 * What only a SQL store has to show, run through `describeStore`'s `extras` hook on the suite's
 * own namespace: migrations, time zones, transactions and pools.
 */
export function sqlExtras({ test }: StoreSuiteContext<SqlOpenStore>): void {
  describe('SQL specifics', () => {
    test('migrates idempotently, also when several processes start at once', async ({
      backend,
    }) => {
      const db = backend.dbs[0]!
      const tablePrefix = `${backend.prefix}again_`
      try {
        const runs = await Promise.all([1, 2, 3].map(() => migrateKeycycle(db, { tablePrefix })))
        expect(runs.flat().filter((r) => r.status === 'Success')).toHaveLength(1)
        expect(await migrateKeycycle(db, { tablePrefix })).toEqual([])
        expect(await backend.rawRows(`${tablePrefix}migrations`)).toHaveLength(1)
      } finally {
        await backend.dropTables(tablePrefix)
      }
    })

    test("rejects with the database's own error, never unavailable, when a migration fails", async ({
      backend,
    }) => {
      const db = backend.dbs[0]!
      const tablePrefix = `${backend.prefix}clash_`
      // A table with keycycle's name but another shape: the first migration cannot create it.
      await sql`CREATE TABLE ${sql.table(`${tablePrefix}organisations`)} (other integer)`.execute(
        db,
      )
      try {
        const error = await migrateKeycycle(db, { tablePrefix }).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(Error)
        expect(error).not.toBeInstanceOf(KeycycleError)
        expect((error as Error).message).toMatch(/already exists/i)
      } finally {
        await backend.dropTables(tablePrefix)
      }
    })

    test('rejects with unavailable, the driver error as cause, when the database does not answer', async ({
      dialect,
    }) => {
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

    test('runs its sessions outside UTC', async ({ dialect, backend }) => {
      const zone = await backend.sessionTimeZone()
      if (dialect === 'sqlite') expect(zone).toContain('Chatham')
      else expect(zone).toBe(SESSION_TIME_ZONE)
    })

    test('creates an organisation and its first key together or not at all', async ({ store }) => {
      const taken = keyRecord()
      const first = organisation()
      expect(await store.insertOrganisation(first, { ...taken, organisation: first.id })).toBe(true)
      const second = organisation()
      // The key ID is taken, so the second statement of the transaction fails.
      expect(await store.insertOrganisation(second, { ...taken, organisation: second.id })).toBe(
        false,
      )
      expect(await store.getOrganisation(second.id)).toBeNull()
    })

    test('returns every pooled connection when transactions fail', async ({ store, backend }) => {
      const base = organisation()
      expect(await store.insertOrganisation(base, keyRecord({ organisation: base.id }))).toBe(true)
      const failures = await Promise.all(
        Array.from({ length: 40 }, () =>
          store.insertOrganisation(base, keyRecord({ organisation: base.id })),
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
