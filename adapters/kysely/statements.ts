import { type Kysely, type RawBuilder, sql, type UpdateQueryBuilder } from 'kysely'
import { changePrefix } from '../../src/store'
import { compileOnce, type Statement } from './compiled'
import { pgEventsInsert } from './outbox-rows'
import {
  KEY_WRITE_COLUMNS,
  type KeycycleTables,
  ORGANISATION_COLUMNS,
  type TableNames,
} from './schema'
import type { SqlFlavour } from './sql-flavour'
import { verificationRead } from './verify-read'

// The record's columns and the imported digest's: what every key write sets.
type KeyColumn = (typeof KEY_WRITE_COLUMNS)[number]
type OrganisationColumn = (typeof ORGANISATION_COLUMNS)[number]
/** An organisation column as a parameter of the statement that inserts it with its first key. */
export type OrganisationParam = `organisation.${OrganisationColumn}`
/**
 * The events a write records (PostgreSQL only: a JSON array of {@link EventInsert} rows, inserted
 * by the write's own statement when it writes; elsewhere the store inserts them itself).
 */
type Events = 'events'

/** The store's fixed statements, each compiled once per store. */
export interface Statements {
  /** The verification read (see verify-read.ts). */
  keyWithOrganisation: Statement<'id'>
  /** The same read by imported digest (`id`: the hex), with the same neighbour rule. */
  keyByImportedDigest: Statement<'id'>
  organisation: Statement<'id'>
  insertKey: Statement<KeyColumn | Events>
  /** Compare-and-set: writes every column where `id` and `version = expected` match. */
  updateKey: Statement<KeyColumn | 'expected' | Events>
  updateOrganisation: Statement<OrganisationColumn | 'expected' | Events>
  /** Compare-and-set delete: removes the key row where `id` and `version = expected` match. */
  deleteKey: Statement<'id' | 'expected' | Events>
  /** Takes the organisation row's write lock (a no-op update), inside a transaction. */
  lockOrganisation: Statement<'id'>
  /**
   * The organisation with its first key: on PostgreSQL one statement (both inserts and their
   * announcements, atomic without a transaction); elsewhere the organisation's insert alone,
   * which the store runs in one transaction with `insertKey`.
   */
  insertOrganisation:
    | { together: true; statement: Statement<OrganisationParam | KeyColumn | Events> }
    | { together: false; statement: Statement<OrganisationParam> }
}

/** The `LISTEN`/`NOTIFY` channel of a table prefix. */
export const channelName = (prefix: string) => `${prefix}changes`

/**
 * Builds every fixed statement for these tables. On PostgreSQL each write records its events
 * and announces itself in the same statement (`WITH w AS (<write> RETURNING id), e AS (INSERT
 * INTO events … WHERE EXISTS (SELECT FROM w)) SELECT pg_notify(…) FROM w`), so the events are
 * recorded and the notification sent exactly when, and only if, the write commits; a lost
 * compare-and-set matches no row, records and announces nothing.
 */
export function buildStatements(
  db: Kysely<unknown>,
  names: TableNames,
  prefix: string,
  flavour: SqlFlavour,
): Statements {
  const postgres = flavour === 'postgres'
  const q = db as unknown as Kysely<KeycycleTables>
  const keys = names.keys as 'keys'
  const organisations = names.organisations as 'organisations'
  const channel = channelName(prefix)
  type Row = Record<string, never>
  const row = <C extends string>(columns: readonly C[], param: (name: C) => never): Row =>
    Object.fromEntries(columns.map((column) => [column, param(column)]))
  const withoutId = <C extends string>(columns: readonly C[]) => columns.filter((c) => c !== 'id')

  // `WITH w AS (<write> RETURNING id), e AS (<its events>) SELECT pg_notify(…) FROM w`: one
  // row per committed write.
  const announced = (
    kind: 'key' | 'organisation',
    write: { returning(c: 'id'): unknown },
    events: never,
  ) =>
    sql`with w as (${write.returning('id') as RawBuilder<unknown>}), e as (${pgEventsInsert(names.events, events, sql`exists (select 1 from w)`)}) select pg_notify(${channel}, ${changePrefix(kind)} || w.id) as n from w`.compile(
      db,
    )

  const keyWithOrganisation = verificationRead(db, names, flavour, 'id')
  const keyByImportedDigest = verificationRead(db, names, flavour, 'imported_digest')

  const organisation = compileOnce<'id'>((param) =>
    q
      .selectFrom(organisations)
      .select(ORGANISATION_COLUMNS)
      .where('id', '=', param('id'))
      .compile(),
  )

  const keyInsert = (param: (name: KeyColumn) => never) =>
    q.insertInto(keys).values(row(KEY_WRITE_COLUMNS, param) as never)
  const insertKey = compileOnce<KeyColumn | Events>((param) =>
    postgres ? announced('key', keyInsert(param), param('events')) : keyInsert(param).compile(),
  )

  function compareAndSet<C extends string>(
    table: 'keys' | 'organisations',
    kind: 'key' | 'organisation',
    columns: readonly C[],
  ) {
    return compileOnce<C | 'expected' | Events>((param) => {
      const update = (q as unknown as Kysely<Record<string, Row>>)
        .updateTable(table)
        .set(row(withoutId(columns), param))
        .where('id', '=', param('id' as C))
        .where('version', '=', param('expected')) as UpdateQueryBuilder<
        Record<string, Row>,
        string,
        string,
        unknown
      >
      return postgres ? announced(kind, update, param('events')) : update.compile()
    })
  }

  const organisationInsert = (param: (name: OrganisationParam) => never) =>
    q
      .insertInto(organisations)
      .values(
        Object.fromEntries(
          ORGANISATION_COLUMNS.map((column) => [column, param(`organisation.${column}`)]),
        ) as never,
      )

  const deleteKey = compileOnce<'id' | 'expected' | Events>((param) => {
    const remove = q
      .deleteFrom(keys)
      .where('id', '=', param('id'))
      .where('version', '=', param('expected'))
    return postgres ? announced('key', remove, param('events')) : remove.compile()
  })

  const lockOrganisation = compileOnce<'id'>((param) =>
    q
      .updateTable(organisations)
      .set({ id: sql.ref('id') } as never)
      .where('id', '=', param('id'))
      .compile(),
  )

  return {
    keyWithOrganisation,
    keyByImportedDigest,
    organisation,
    insertKey,
    deleteKey,
    lockOrganisation,
    updateKey: compareAndSet(keys, 'key', KEY_WRITE_COLUMNS),
    updateOrganisation: compareAndSet(organisations, 'organisation', ORGANISATION_COLUMNS),
    insertOrganisation: postgres
      ? {
          together: true,
          // The key's foreign key is checked at the end of the statement, after both inserts.
          statement: compileOnce<OrganisationParam | KeyColumn | Events>((param) =>
            sql`with o as (${organisationInsert(param).returning('id')}), k as (${keyInsert(param).returning('id')}), e as (${pgEventsInsert(names.events, param('events'), sql`exists (select 1 from o, k)`)}) select pg_notify(${channel}, ${changePrefix('organisation')} || o.id) as o, pg_notify(${channel}, ${changePrefix('key')} || k.id) as k from o, k`.compile(
              db,
            ),
          ),
        }
      : {
          together: false,
          statement: compileOnce<OrganisationParam>((param) => organisationInsert(param).compile()),
        },
  }
}
