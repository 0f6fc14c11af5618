import type { ExpressionBuilder, Kysely } from 'kysely'
import { invalidInput, KeycycleError } from '../../src/core/errors'
import type { StateClause } from '../../src/core/filters'
import { importedHexOfRecord } from '../../src/core/imported'
import type { DueKeysQuery, KeyListQuery, KeyStore, WriteOptions } from '../../src/store'
import { deadlineOf } from '../../src/store/deadline'
import { decoyRecords } from '../../src/store/decoy'
import type { Statement } from './compiled'
import { storeExecutor } from './executor'
import { type KyselyStoreOptions, readKyselyArguments } from './options'
import { kyselyOutbox } from './outbox'
import { pgEventsParam } from './outbox-rows'
import { listen } from './pg-channel'
import {
  keyFromValues,
  keyToRow,
  keyWithOrganisationFromJson,
  keyWithOrganisationToValues,
  organisationFromValues,
  organisationToRow,
  type Values,
} from './rows'
import { KEY_COLUMNS, type KeycycleTables } from './schema'
import { reportingSchemaFaults, schemaFault } from './schema-faults'
import { kyselySpend } from './spend'
import { isDuplicateKey } from './sql-errors'
import { sqlFlavour } from './sql-flavour'
import { buildStatements, channelName } from './statements'
import { kyselyUsage } from './usage'

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
 * (kysely 0.27–0.29). Run {@link migrateKeycycle} first, with the same `tablePrefix`: a store
 * whose tables are missing or of another shape rejects every call with
 * `KeycycleError('misconfigured')`, naming the prefix, and the driver's error as `cause`.
 *
 * Its fixed statements (the verification read, inserts, compare-and-set updates) are built and
 * compiled once per store and run with new parameters. Every key or organisation write is one
 * `UPDATE … WHERE id = ? AND version = ?`, which every dialect executes atomically under row
 * locks. Creating an organisation with its first key is one statement on PostgreSQL and one
 * transaction elsewhere. Writes are retried on serialization failures, deadlocks and
 * SQLITE_BUSY, in short asynchronous pauses. Verification reads a key and its organisation
 * with one JOIN. Timestamps are BIGINT epoch ms compared as numbers, so the database's time
 * zone never matters.
 *
 * Events (the durable outbox, table `<tablePrefix>events`) are recorded by the write they
 * describe: on PostgreSQL inside its one statement, elsewhere by an INSERT in its transaction
 * (a write without events needs none). Claims are conditional updates, one winner per event.
 *
 * Usage counters (`spend`, `readCounters`; see spend.ts) live in a `counters` column of the key's
 * row and of the organisation's, outside the record: record writes never touch them, a deleted
 * key's go with its row. A spend is one statement on PostgreSQL (the `<prefix>spend` function
 * that migration 0005 creates: version checks, the arithmetic, the writes and an emptied
 * balance's events, one round trip), and one transaction elsewhere that locks the rows (the
 * organisation's only for its shared buckets) and applies `spendCounters` in this process:
 * exact under any concurrency across every client of the database.
 *
 * Usage analytics (`addUsage`, `readUsage`, `pruneUsage`; see usage.ts) live in
 * `<tablePrefix>usage_hours`, one row per key, hour and outcome, added to atomically.
 *
 * Fenced writes (`deadline`): no attempt starts and no COMMIT is sent after the deadline, and
 * each dialect's server bounds the statements: PostgreSQL by `SET LOCAL statement_timeout` and
 * `lock_timeout` of the time left (so a write whose caller gave up rolls back by itself), and
 * with `pg` also `idle_in_transaction_session_timeout` (a stalled process's transaction ends
 * at the deadline), MariaDB by `max_statement_time` on each statement,
 * MySQL only by `innodb_lock_wait_timeout` in whole seconds (≥ 1). On SQLite the store sets
 * `PRAGMA busy_timeout = 5` on the connection it is given, so a locked database blocks the
 * event loop for at most about 5 ms per attempt; it retries asynchronously until the deadline,
 * then rejects with `unavailable`. Reads retry SQLITE_BUSY for up to a second (WAL mode
 * readers are never blocked by a writer).
 *
 * On PostgreSQL every write announces itself with `pg_notify` in the same statement, on the
 * channel `<tablePrefix>changes`; given a pg `Pool` (`pg`), the store listens there (`watch`) and
 * runs its fixed statements as named prepared statements on that pool. Given a mysql2 `Pool`
 * (`mysql`), it runs them as statements prepared once per connection. Given the better-sqlite3
 * `Database` of a SQLite `db` (`sqlite`), it runs its fixed reads (verification among them)
 * synchronously on that connection, each statement prepared once, beside Kysely's driver; a read
 * that finds a transaction open there goes through Kysely and waits for it. SQLite is fastest
 * with both that option and the database wrapped by {@link reusePreparedStatements} for the rest.
 *
 * Throws `KeycycleError('validation')` at once, naming the argument, when `db` is not a Kysely
 * instance (or is a transaction) or an option is unknown or malformed (`tablePrefix` must match
 * {@link TABLE_PREFIX}; `pg` must be a pg `Pool` on a PostgreSQL `db`, `mysql` a mysql2 `Pool`
 * on a MySQL one, `sqlite` a better-sqlite3 `Database` on a SQLite one).
 *
 * @example
 * ```ts
 * const sqlite = new Database('keycycle.db')
 * const database = reusePreparedStatements(sqlite)
 * const db = new Kysely({ dialect: new SqliteDialect({ database }) })
 * await migrateKeycycle(db)
 * const kc = createKeycycle({ store: kyselyStore(db, { sqlite }) })
 *
 * const pool = new pg.Pool({ connectionString })
 * const pgDb = new Kysely({ dialect: new PostgresDialect({ pool }) })
 * const cached = createKeycycle({
 *   store: kyselyStore(pgDb, { pg: pool }),
 *   cache: { maxStalenessMs: 5000, maxEntries: 10_000 },
 * })
 * ```
 */
export function kyselyStore<DB>(db: Kysely<DB>, options: KyselyStoreOptions = {}): KeyStore {
  const { names, prefix, pg, mysql, sqlite } = readKyselyArguments(db, options, 'store')
  const host = db as unknown as Kysely<unknown>
  const flavour = sqlFlavour(host)
  if (pg !== undefined && flavour !== 'postgres') {
    throw invalidInput('pg', 'is for a PostgreSQL Kysely instance only')
  }
  if (mysql !== undefined && flavour !== 'mysql') {
    throw invalidInput('mysql', 'is for a MySQL/MariaDB Kysely instance only')
  }
  if (sqlite !== undefined && flavour !== 'other') {
    throw invalidInput('sqlite', 'is for a SQLite Kysely instance only')
  }
  const statements = buildStatements(host, names, prefix, flavour)
  const executor = storeExecutor(host, flavour, names.events, { pg, mysql, sqlite })
  const { rows, rowsNow, read, write } = executor
  const q = db as unknown as Kysely<KeycycleTables>
  const K = `${names.keys} as k` as 'keys as k'
  // Every key column, in the order `keyFromValues` reads them.
  const KEY = KEY_COLUMNS.map((column) => `k.${column}` as const)

  async function insertOrFalse(work: () => Promise<boolean>): Promise<boolean> {
    try {
      return await work()
    } catch (error) {
      if (isDuplicateKey(error)) return false
      throw error
    }
  }

  // The one write every update is: atomic under each dialect's row lock, and since `version`
  // always changes, MySQL's "rows affected" counts the matched row.
  function compareAndSet<P extends string>(
    what: string,
    statement: Statement<P | 'expected' | 'events'>,
    row: Record<P, unknown>,
    expected: number,
    options: WriteOptions | undefined,
  ): Promise<boolean> {
    const values = { ...row, expected, events: pgEventsParam(options?.events) } as Record<
      P | 'expected' | 'events',
      unknown
    >
    return write(what, options, true, async (tx) => (await tx.write(statement, values)) === 1)
  }

  // The verification read's answer, decoded whether or not it is the key asked for (see
  // verify-read.ts), so that an unknown ID costs what a known one does. An ID below every
  // stored key finds no neighbour at all: the decoy's row is decoded in its place, so even
  // then the client does what it does for a known key.
  const decoy = JSON.stringify(keyWithOrganisationToValues(decoyRecords()))
  function asked(found: Values[], id: string) {
    const row = found[0]
    const read = keyWithOrganisationFromJson(row === undefined ? decoy : row[0])
    return row !== undefined && read.key.id === id ? read : null
  }
  // The same for the lookup by imported digest: kept only if the record holds that digest.
  function holding(found: Values[], hex: string) {
    const row = found[0]
    const read = keyWithOrganisationFromJson(row === undefined ? decoy : row[0])
    return row !== undefined && importedHexOfRecord(read.key) === hex ? read : null
  }

  // The verification reads report schema faults themselves, in their own catch, so that a
  // read that succeeds costs nothing more; the other methods are wrapped at the end.
  const store: KeyStore = {
    kind: flavour === 'postgres' ? 'postgresql' : flavour === 'mysql' ? 'mysql' : 'sqlite',
    async getKeyWithOrganisation(id, options) {
      try {
        return asked(await rows(statements.keyWithOrganisation, { id }, deadlineOf(options)), id)
      } catch (error) {
        throw schemaFault(error, prefix)
      }
    },

    async findKeyByImportedDigest(hex, options) {
      try {
        return holding(
          await rows(statements.keyByImportedDigest, { id: hex }, deadlineOf(options)),
          hex,
        )
      } catch (error) {
        throw schemaFault(error, prefix)
      }
    },

    insertKey(record, insertOptions) {
      const maxKeys = insertOptions?.maxKeys
      const values = { ...keyToRow(record), events: pgEventsParam(insertOptions?.events) }
      if (maxKeys === undefined) {
        return insertOrFalse(() =>
          write('insertKey', insertOptions, true, async (tx) => {
            await tx.write(statements.insertKey, values)
            return true
          }),
        )
      }
      // The organisation's row lock serialises creates in one organisation, so the count and
      // the insert are one atomic step: of two racing for the last place, one waits and fails.
      return insertOrFalse(() =>
        write('insertKey', insertOptions, false, async (tx) => {
          await tx.write(statements.lockOrganisation, { id: record.organisation })
          const count = q
            .selectFrom(names.keys as 'keys')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('organisation', '=', record.organisation)
            .compile()
          const [counted] = (await tx.execute(count)).rows as { n: number | string | bigint }[]
          const held = Number(counted?.n ?? 0)
          if (held >= maxKeys) {
            throw new KeycycleError(
              'limit',
              `the organisation holds ${held} keys, the most allowed`,
            )
          }
          await tx.write(statements.insertKey, values)
          return true
        }),
      )
    },

    deleteKey: (id, expectedVersion, options) =>
      compareAndSet('deleteKey', statements.deleteKey, { id }, expectedVersion, options),

    async countDigests(now, options) {
      const counts: Record<string, number> = {}
      const count = (digest: string | null) => {
        if (digest === null) return
        const cut = digest.indexOf('$')
        const pepper = cut === -1 ? '' : digest.slice(0, cut)
        counts[pepper] = (counts[pepper] ?? 0) + 1
      }
      const rows = await read(
        () =>
          q
            .selectFrom(K)
            .select([
              'k.primary_digest',
              'k.primary_retiring_digest',
              'k.primary_retiring_until',
              'k.secondary_digest',
              'k.secondary_retiring_digest',
              'k.secondary_retiring_until',
            ])
            .execute(),
        deadlineOf(options),
      )
      for (const row of rows) {
        count(row.primary_digest)
        count(row.secondary_digest)
        if (Number(row.primary_retiring_until) > now) count(row.primary_retiring_digest)
        if (Number(row.secondary_retiring_until) > now) count(row.secondary_retiring_digest)
      }
      return counts
    },

    updateKey: (next, expectedVersion, options) =>
      compareAndSet('updateKey', statements.updateKey, keyToRow(next), expectedVersion, options),

    async listKeys(query: KeyListQuery, options) {
      let select = q.selectFrom(K).select(KEY).where('k.organisation', '=', query.organisation)
      if (query.type !== undefined) select = select.where('k.type', '=', query.type)
      const states = query.states
      if (states !== undefined)
        select = select.where((eb) => eb.or(states.map((c) => clauseFilter(eb, c))))
      if (query.idAbove !== undefined) select = select.where('k.id', '>', query.idAbove)
      if (query.idBelow !== undefined) select = select.where('k.id', '<', query.idBelow)
      const rows = await read(
        () => select.orderBy('k.id', query.order).limit(query.limit).execute(),
        deadlineOf(options),
      )
      return rows.map((row) => keyFromValues(Object.values(row)))
    },

    async listDueKeys(query: DueKeysQuery, options) {
      const rows = await read(
        () =>
          q
            .selectFrom(K)
            .select(KEY)
            .where((eb) => clauseFilter(eb, query.clause))
            .orderBy('k.expires_at')
            .orderBy('k.id')
            .limit(query.limit)
            .execute(),
        deadlineOf(options),
      )
      return rows.map((row) => keyFromValues(Object.values(row)))
    },

    async getOrganisation(id, options) {
      const [row] = await rows(statements.organisation, { id }, deadlineOf(options))
      return row === undefined ? null : organisationFromValues(row)
    },

    insertOrganisation(organisation, firstKey, options) {
      const values = {
        ...keyToRow(firstKey),
        events: pgEventsParam(options?.events),
      } as Record<string, unknown>
      for (const [column, value] of Object.entries(organisationToRow(organisation))) {
        values[`organisation.${column}`] = value
      }
      const { together, statement } = statements.insertOrganisation
      return insertOrFalse(() =>
        write('insertOrganisation', options, together, async (tx) => {
          await tx.write(statement, values)
          // The organisation row comes first (the key references it); both commit together.
          if (!together) await tx.write(statements.insertKey, values)
          return true
        }),
      )
    },

    updateOrganisation: (next, expectedVersion, options) =>
      compareAndSet(
        'updateOrganisation',
        statements.updateOrganisation,
        organisationToRow(next),
        expectedVersion,
        options,
      ),

    ...kyselySpend({
      host,
      names,
      prefix,
      flavour,
      executor,
      current: (id, options) => store.getKeyWithOrganisation(id, options),
    }),
    ...kyselyOutbox(host, names.events),
    ...kyselyUsage(host, names, flavour),
  }
  if (sqlite !== undefined) {
    // On its own better-sqlite3 connection the verification read runs at once when it can
    // (sqlite-reader.ts): verification then takes no promise round trip.
    store.getKeyWithOrganisationSync = (id) => {
      try {
        const found = rowsNow(statements.keyWithOrganisation, { id })
        return found === undefined ? undefined : asked(found, id)
      } catch (error) {
        throw schemaFault(error, prefix)
      }
    }
  }
  if (pg !== undefined) {
    const channel = channelName(prefix)
    store.watch = (feed, watchOptions) => listen(pg, channel, feed, watchOptions)
  }
  return reportingSchemaFaults(store, prefix)
}
