import { type DatabaseIntrospector, type Kysely, type MigrationResult, Migrator, sql } from 'kysely'
import { KeycycleError } from '../../src/core/errors'
import { migrations } from './migrations'
import { type KyselyMigrateOptions, readKyselyArguments } from './options'

/**
 * Creates or upgrades keycycle's tables with Kysely's `Migrator`, using migrations shipped in
 * the package and migration tables named with the same prefix. Idempotent and safe to run at
 * every start, from several processes at once (the migrator's lock table serialises them).
 * Resolves with the migrations applied by this call.
 *
 * Rejects in three ways, so a start script can tell what to do:
 * - `KeycycleError('validation')` for a bad argument (`db`, `options`, `tablePrefix`), before
 *   any I/O.
 * - `KeycycleError('unavailable')`, with the driver's error as `cause`, when the database does
 *   not answer a trivial query first (not up yet, refused, a destroyed instance): a fault that
 *   trying again later may cure.
 * - Otherwise, the migration's own error, unchanged (e.g. PostgreSQL's `42P07` when a table of
 *   that name exists with another shape, or a missing privilege): a failure that trying again
 *   will not cure, reported as the database reported it, never as `unavailable`.
 *
 * @example
 * ```ts
 * const db = new Kysely({ dialect: new PostgresDialect({ pool }) })
 * await migrateKeycycle(db, { tablePrefix: 'billing_kc_' })
 * const store = kyselyStore(db, { tablePrefix: 'billing_kc_' })
 * ```
 */
export async function migrateKeycycle<DB>(
  db: Kysely<DB>,
  options: KyselyMigrateOptions = {},
): Promise<MigrationResult[]> {
  const { names } = readKyselyArguments(db, options, 'migrate')
  try {
    await sql`select 1`.execute(db)
  } catch (error) {
    throw new KeycycleError('unavailable', 'keycycle: the database did not answer', {
      cause: error,
    })
  }
  const migrator = new Migrator({
    db: steadyListing(db),
    provider: { getMigrations: async () => migrations(names) },
    migrationTableName: names.migrations,
    migrationLockTableName: names.migrationLock,
  })
  const { error, results = [] } = await migrator.migrateToLatest()
  if (error !== undefined) throw error
  return results
}

// Kysely's migrator lists every table of the schema (PostgreSQL: the table names, then each
// one's columns) several times per run: a table another process drops in between, any table
// and not only keycycle's, fails the listing with "no such table". The listing is only read,
// so asking it again is safe; it is asked up to LISTING_ATTEMPTS times. (Measured: 15
// migrations while another connection creates and drops tables in a loop failed 3 to 15 times
// without this, and never with it: test/adapters/kysely-migrate-race.test.ts.)
const LISTING_ATTEMPTS = 50

function steadyListing<DB>(db: Kysely<DB>): Kysely<DB> {
  const introspection = db.introspection
  const steady: DatabaseIntrospector = {
    getSchemas: () => introspection.getSchemas(),
    getMetadata: (options) => introspection.getMetadata(options),
    async getTables(options) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await introspection.getTables(options)
        } catch (error) {
          if (attempt >= LISTING_ATTEMPTS || !noSuchTable(error)) throw error
        }
      }
    },
  }
  // Everything else is the instance's own, bound to it (Kysely keeps its state in # fields).
  return new Proxy(db, {
    get(target, property) {
      if (property === 'introspection') return steady
      const value: unknown = Reflect.get(target, property, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

function noSuchTable(error: unknown): boolean {
  const { code, errno } = (error ?? {}) as { code?: unknown; errno?: unknown }
  return code === '42P01' || code === 'ER_NO_SUCH_TABLE' || errno === 1146
}
