import { type Kysely, type MigrationResult, Migrator } from 'kysely'
import { KeycycleError } from '../../src/core/errors'
import { migrations } from './migrations'
import { type KyselyStoreOptions, readKyselyArguments } from './options'

/**
 * Creates or upgrades keycycle's tables with Kysely's `Migrator`, using migrations shipped in
 * the package and migration tables named with the same prefix. Idempotent and safe to run at
 * every start, from several processes at once (the migrator's lock table serialises them).
 * Resolves with the migrations applied by this call.
 *
 * Rejects with `KeycycleError('validation')` for a bad argument (`db`, `options`,
 * `tablePrefix`), before any I/O, and with `unavailable` when a migration fails.
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
  options: KyselyStoreOptions = {},
): Promise<MigrationResult[]> {
  const names = readKyselyArguments(db, options)
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations(names) },
    migrationTableName: names.migrations,
    migrationLockTableName: names.migrationLock,
  })
  const { error, results = [] } = await migrator.migrateToLatest()
  if (error !== undefined) {
    throw new KeycycleError('unavailable', 'keycycle: migration failed', { cause: error })
  }
  return results
}
