import { invalidInput } from '../../src/core/errors'
import { readObject } from '../../src/core/validate'
import { type TableNames, tableNames } from './schema'

/** Options shared by {@link migrateKeycycle} and {@link kyselyStore}. */
export interface KyselyStoreOptions {
  /**
   * Prefix of every table and index keycycle creates. Default `keycycle_`. Must match
   * {@link TABLE_PREFIX}: lower case, so the names are the same on every dialect and file
   * system (MySQL's table names follow the file system's case rules), and short enough that the
   * longest derived name fits PostgreSQL's 63-byte identifiers.
   */
  tablePrefix?: string
}

/**
 * What a `tablePrefix` may be: a lower-case letter or `_`, then up to 30 lower-case letters,
 * digits or `_` (e.g. `keycycle_`, `billing_kc_`).
 */
export const TABLE_PREFIX = /^[a-z_][a-z0-9_]{0,30}$/

/** The members of a `Kysely` instance the adapter relies on, checked structurally. */
interface KyselyLike {
  selectFrom: unknown
  insertInto: unknown
  updateTable: unknown
  transaction: unknown
  isTransaction?: unknown
}

/**
 * Checks the arguments of {@link kyselyStore} and {@link migrateKeycycle} before any I/O and
 * returns the table names. Throws `KeycycleError('validation')` naming the argument at fault.
 */
export function readKyselyArguments(db: unknown, options: unknown): TableNames {
  const candidate = db as KyselyLike | null
  if (
    typeof candidate !== 'object' ||
    candidate === null ||
    typeof candidate.selectFrom !== 'function' ||
    typeof candidate.insertInto !== 'function' ||
    typeof candidate.updateTable !== 'function' ||
    typeof candidate.transaction !== 'function'
  ) {
    throw invalidInput('db', 'must be a Kysely instance')
  }
  if (candidate.isTransaction === true) {
    throw invalidInput('db', 'must be a Kysely instance, not a transaction')
  }
  const { tablePrefix = 'keycycle_' } = readObject(options ?? {}, 'options', ['tablePrefix'])
  if (typeof tablePrefix !== 'string' || !TABLE_PREFIX.test(tablePrefix)) {
    throw invalidInput(
      'tablePrefix',
      'must be a lower-case letter or _, then up to 30 lower-case letters, digits or _',
    )
  }
  return tableNames(tablePrefix)
}
