// A store whose tables are missing (never migrated, or migrated under another `tablePrefix`) or
// of another shape is a configuration fault, not an outage: every dialect answers
// `misconfigured`, naming the prefix and what to run, never `unavailable` (which invites
// retrying forever).
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { kyselyStore } from '../../adapters/kysely'
import { createKeycycle, type Keycycle, KeycycleError } from '../../src'
import { ADMIN } from '../../src/conformance'
import { newId } from '../../src/core/ids'
import { mintToken } from '../../src/core/token'
import { shouldRun } from '../helpers/should-run'
import { type Dialect, reachable, type SqlOpenStore, sqlHarness } from './sql-harness'

const DIALECTS: [Dialect, string][] = [
  ['sqlite', 'SQLite'],
  ['postgres', 'PostgreSQL'],
  ['mysql', 'MySQL/MariaDB'],
]

// A well-formed token of a key no store holds: verification must read the store to answer.
const someToken = () =>
  mintToken(
    'kc',
    newId('key', Date.now(), crypto.getRandomValues(new Uint8Array(16))),
    crypto.getRandomValues(new Uint8Array(32)),
  ).token

async function misconfigured(call: Promise<unknown>, prefix: string): Promise<KeycycleError> {
  const error = await call.then(
    () => expect.fail('the call succeeded'),
    (error: unknown) => error,
  )
  expect(error).toBeInstanceOf(KeycycleError)
  const fault = error as KeycycleError
  expect(fault.code).toBe('misconfigured')
  expect(fault.message).toContain('migrateKeycycle')
  expect(fault.message).toContain(`"${prefix}"`)
  // The database's own words stay available to the operator.
  expect(fault.cause).toBeInstanceOf(Error)
  return fault
}

for (const [dialect, name] of DIALECTS) {
  const run = await shouldRun(name, () => reachable(dialect))
  describe.runIf(run)(
    `kysely ${dialect}: a store whose tables are missing or of another shape`,
    () => {
      let open: SqlOpenStore
      beforeAll(async () => {
        open = await sqlHarness(dialect, 0).open()
      })
      afterAll(() => open?.close())

      // Every Kysely instance of the backend, with its driver handle where it has one (pg pool,
      // mysql2 pool, better-sqlite3 connection) and without: each runs statements its own way.
      const services = (prefix: string): Keycycle[] =>
        open.backend.dbs.map((db, i) =>
          createKeycycle({
            store: kyselyStore(db, { ...open.backend.storeOptions?.[i], tablePrefix: prefix }),
          }),
        )

      it('answers misconfigured for a prefix never migrated, naming it and migrateKeycycle', async () => {
        const prefix = `${open.backend.prefix}none_`
        for (const kc of services(prefix)) {
          const read = await misconfigured(kc.verify(someToken()), prefix)
          expect(read.message).not.toMatch(/kc_[0-9A-Z]{26}/)
          await misconfigured(kc.createOrganisation(), prefix)
          const organisation = newId('org', Date.now(), new Uint8Array(16))
          await misconfigured(kc.as(ADMIN).listKeys({ organisation }), prefix)
          await kc.close()
        }
      })

      it('answers misconfigured for tables of another shape (a column missing)', async () => {
        const { prefix, dbs } = open.backend
        const kc = services(prefix)
        // Made while the tables were whole, so that the key exists to be verified.
        const created = await kc[0]!.createOrganisation()
        await sql`ALTER TABLE ${sql.table(`${prefix}keys`)} DROP COLUMN description`.execute(
          dbs[0]!,
        )
        for (const each of kc) {
          await misconfigured(each.verify(created.token), prefix)
          await misconfigured(each.createOrganisation(), prefix)
          await each.close()
        }
      })
    },
  )
}
