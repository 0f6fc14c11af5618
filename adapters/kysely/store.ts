import type { ExpressionBuilder, Kysely } from 'kysely'
import type { StateClause } from '../../src/core/filters'
import type { DueKeysQuery, KeyListQuery, KeyStore } from '../../src/store'
import { type KyselyStoreOptions, readKyselyArguments } from './options'
import { keyFromRow, keyToRow, organisationFromRow, organisationToRow } from './rows'
import type { KeycycleTables } from './schema'
import { isDuplicateKey, retryTransient } from './sql-errors'

type Builder = ExpressionBuilder<{ k: KeycycleTables['keys'] }, 'k'>

function clauseFilter(eb: Builder, clause: StateClause) {
  const parts = [eb('k.state', 'in', [...clause.states])]
  if (clause.expiresAtOrBefore !== undefined) {
    parts.push(
      eb('k.expires_at', 'is not', null),
      eb('k.expires_at', '<=', clause.expiresAtOrBefore),
    )
  }
  if (clause.notExpiredAt !== undefined) {
    parts.push(
      eb.or([eb('k.expires_at', 'is', null), eb('k.expires_at', '>', clause.notExpiredAt)]),
    )
  }
  return eb.and(parts)
}

/**
 * A {@link KeyStore} over the host's own Kysely instance: SQLite, PostgreSQL or MySQL/MariaDB
 * (kysely 0.27–0.29). Run {@link migrateKeycycle} first, with the same `tablePrefix`.
 *
 * Every key or organisation write is one `UPDATE … WHERE id = ? AND version = ?`, which every
 * dialect executes atomically under row locks; creating an organisation with its first key is
 * one transaction, retried on serialization failures, deadlocks and SQLITE_BUSY. Verification
 * reads a key and its organisation with one JOIN. Timestamps are BIGINT epoch ms compared as
 * numbers, so the database's time zone never matters.
 *
 * Throws `KeycycleError('validation')` at once, naming the argument, when `db` is not a Kysely
 * instance (or is a transaction) or an option is unknown or malformed (`tablePrefix` must match
 * {@link TABLE_PREFIX}).
 *
 * @example
 * ```ts
 * const db = new Kysely({ dialect: new SqliteDialect({ database: new Database('keycycle.db') }) })
 * await migrateKeycycle(db)
 * const kc = createKeycycle({ store: kyselyStore(db) })
 * ```
 */
export function kyselyStore<DB>(db: Kysely<DB>, options: KyselyStoreOptions = {}): KeyStore {
  const names = readKyselyArguments(db, options)
  const q = db as unknown as Kysely<KeycycleTables>
  const K = `${names.keys} as k` as 'keys as k'
  const O = `${names.organisations} as o` as 'organisations as o'
  const keysTable = names.keys as 'keys'
  const organisationsTable = names.organisations as 'organisations'

  async function insertOrFalse(work: () => Promise<unknown>): Promise<boolean> {
    try {
      await retryTransient(work)
      return true
    } catch (error) {
      if (isDuplicateKey(error)) return false
      throw error
    }
  }

  // The one write every update is: atomic under each dialect's row lock, and since `version`
  // always changes, MySQL's "rows affected" counts the matched row.
  async function compareAndSet(
    table: 'keys' | 'organisations',
    row: { id: string; version: number },
    expectedVersion: number,
  ) {
    const { id, ...columns } = row
    const writable = q as unknown as Kysely<Record<string, { id: string; version: number }>>
    const result = await retryTransient(() =>
      writable
        .updateTable(table)
        .set(columns)
        .where('id', '=', id)
        .where('version', '=', expectedVersion)
        .executeTakeFirst(),
    )
    return result.numUpdatedRows === 1n
  }

  return {
    async getKeyWithOrganisation(id) {
      const row = await q
        .selectFrom(K)
        .innerJoin(O, 'o.id', 'k.organisation')
        .selectAll('k')
        .select([
          'o.storage_config as o_storage_config',
          'o.webhook_config as o_webhook_config',
          'o.config as o_config',
          'o.created_at as o_created_at',
          'o.modified_at as o_modified_at',
          'o.modified_by as o_modified_by',
          'o.version as o_version',
        ])
        .where('k.id', '=', id)
        .executeTakeFirst()
      if (row === undefined) return null
      const organisation = organisationFromRow({
        id: row.organisation,
        storage_config: row.o_storage_config,
        webhook_config: row.o_webhook_config,
        config: row.o_config,
        created_at: row.o_created_at,
        modified_at: row.o_modified_at,
        modified_by: row.o_modified_by,
        version: row.o_version,
      })
      return { key: keyFromRow(row), organisation }
    },

    insertKey(record) {
      return insertOrFalse(() => q.insertInto(keysTable).values(keyToRow(record)).execute())
    },

    updateKey: (next, expectedVersion) => compareAndSet(keysTable, keyToRow(next), expectedVersion),

    async listKeys(query: KeyListQuery) {
      let select = q.selectFrom(K).selectAll('k').where('k.organisation', '=', query.organisation)
      if (query.type !== undefined) select = select.where('k.type', '=', query.type)
      const states = query.states
      if (states !== undefined)
        select = select.where((eb) => eb.or(states.map((c) => clauseFilter(eb, c))))
      if (query.idAbove !== undefined) select = select.where('k.id', '>', query.idAbove)
      if (query.idBelow !== undefined) select = select.where('k.id', '<', query.idBelow)
      const rows = await select.orderBy('k.id', query.order).limit(query.limit).execute()
      return rows.map(keyFromRow)
    },

    async listDueKeys(query: DueKeysQuery) {
      const rows = await q
        .selectFrom(K)
        .selectAll('k')
        .where((eb) => clauseFilter(eb, query.clause))
        .orderBy('k.expires_at')
        .orderBy('k.id')
        .limit(query.limit)
        .execute()
      return rows.map(keyFromRow)
    },

    async getOrganisation(id) {
      const row = await q
        .selectFrom(organisationsTable)
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst()
      return row === undefined ? null : organisationFromRow(row)
    },

    insertOrganisation(organisation, firstKey) {
      return insertOrFalse(() =>
        q.transaction().execute(async (trx) => {
          // The organisation row comes first (the key references it); both commit together.
          await trx.insertInto(organisationsTable).values(organisationToRow(organisation)).execute()
          await trx.insertInto(keysTable).values(keyToRow(firstKey)).execute()
        }),
      )
    },

    updateOrganisation: (next, expectedVersion) =>
      compareAndSet(organisationsTable, organisationToRow(next), expectedVersion),
  }
}
