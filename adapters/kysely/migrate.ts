import { type Kysely, type MigrationResult, Migrator } from 'kysely'
import { KeycycleError } from '../../src/core/errors'
import { migrations } from './migrations'
import { tableNames } from './schema'

/** Options shared by {@link migrateKeycycle} and `kyselyStore`. */
export interface KyselyStoreOptions {
  /** Prefix of every table keycycle creates, a plain identifier. Default `keycycle_`. */
  tablePrefix?: string
}

/**
 * Creates or upgrades keycycle's tables with Kysely's `Migrator`, using migrations shipped in
 * the package and migration tables named with the same prefix. Idempotent and safe to run at
 * every start, from several processes at once (the migrator's lock table serialises them).
 * Resolves with the migrations applied by this call; throws `unavailable` when one fails.
 */
export async function migrateKeycycle<DB>(
  db: Kysely<DB>,
  options: KyselyStoreOptions = {},
): Promise<MigrationResult[]> {
  const names = tableNames(options.tablePrefix)
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
