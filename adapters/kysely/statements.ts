import type { Kysely } from 'kysely'
import { compileOnce, type Statement } from './compiled'
import { KEY_COLUMNS, type KeycycleTables, ORGANISATION_COLUMNS, type TableNames } from './schema'

type KeyColumn = (typeof KEY_COLUMNS)[number]
type OrganisationColumn = (typeof ORGANISATION_COLUMNS)[number]
/** An organisation column as a parameter of the statement that inserts it with its first key. */
export type OrganisationParam = `organisation.${OrganisationColumn}`

/** The store's fixed statements, each compiled once per store. */
export interface Statements {
  /** The verification read: a key and its organisation, one JOIN. Key columns, then `o_*`. */
  keyWithOrganisation: Statement<'id'>
  organisation: Statement<'id'>
  insertKey: Statement<KeyColumn>
  /** Compare-and-set: writes every column where `id` and `version = expected` match. */
  updateKey: Statement<KeyColumn | 'expected'>
  updateOrganisation: Statement<OrganisationColumn | 'expected'>
  /** The organisation's insert, which the store runs in one transaction with `insertKey`. */
  insertOrganisation: Statement<OrganisationParam>
}

/** Builds every fixed statement for these tables. */
export function buildStatements(db: Kysely<unknown>, names: TableNames): Statements {
  const q = db as unknown as Kysely<KeycycleTables>
  const keys = names.keys as 'keys'
  const organisations = names.organisations as 'organisations'
  type Row = Record<string, never>
  const row = <C extends string>(columns: readonly C[], param: (name: C) => never): Row =>
    Object.fromEntries(columns.map((column) => [column, param(column)]))
  const withoutId = <C extends string>(columns: readonly C[]) => columns.filter((c) => c !== 'id')

  const keyWithOrganisation = compileOnce<'id'>((param) =>
    q
      .selectFrom(`${names.keys} as k` as 'keys as k')
      .innerJoin(`${names.organisations} as o` as 'organisations as o', 'o.id', 'k.organisation')
      .select(KEY_COLUMNS.map((column) => `k.${column}` as const))
      .select(
        withoutId(ORGANISATION_COLUMNS).map((column) => `o.${column} as o_${column}` as const),
      )
      .where('k.id', '=', param('id'))
      .compile(),
  )

  const organisation = compileOnce<'id'>((param) =>
    q
      .selectFrom(organisations)
      .select(ORGANISATION_COLUMNS)
      .where('id', '=', param('id'))
      .compile(),
  )

  const keyInsert = (param: (name: KeyColumn) => never) =>
    q.insertInto(keys).values(row(KEY_COLUMNS, param) as never)
  const insertKey = compileOnce<KeyColumn>((param) => keyInsert(param).compile())

  function compareAndSet<C extends string>(table: 'keys' | 'organisations', columns: readonly C[]) {
    return compileOnce<C | 'expected'>((param) => {
      return (q as unknown as Kysely<Record<string, Row>>)
        .updateTable(table)
        .set(row(withoutId(columns), param))
        .where('id', '=', param('id' as C))
        .where('version', '=', param('expected'))
        .compile()
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

  return {
    keyWithOrganisation,
    organisation,
    insertKey,
    updateKey: compareAndSet(keys, KEY_COLUMNS),
    updateOrganisation: compareAndSet(organisations, ORGANISATION_COLUMNS),
    insertOrganisation: compileOnce<OrganisationParam>((param) =>
      organisationInsert(param).compile(),
    ),
  }
}
