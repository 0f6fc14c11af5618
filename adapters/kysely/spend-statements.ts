import { type Kysely, sql } from 'kysely'
import { compileOnce, type Statement } from './compiled'
import {
  PG_SPEND_PARAMETERS,
  type PgSpendParameter,
  pgSpendFunctionName,
} from './pg-spend-function'
import type { KeycycleTables, TableNames } from './schema'
import type { SqlFlavour } from './sql-flavour'

/** The spend's fixed statements, each compiled once per store. */
export type SpendStatements =
  | {
      flavour: 'postgres'
      /** `SELECT <prefix>spend(…) AS r`: the whole spend, one statement (pg-spend-function.ts). */
      call: Statement<PgSpendParameter>
    }
  | {
      flavour: 'mysql' | 'other'
      /**
       * SQLite: a write that changes nothing, first in the transaction, so that it holds the
       * database's write lock from its start (as `BEGIN IMMEDIATE` would) and concurrent spends
       * queue for it instead of failing to upgrade a read. Null on MySQL, whose reads lock rows.
       */
      lock: Statement<'key'> | null
      /**
       * The key's version, owner and counters, and its organisation's version and counters
       * (`kv, ko, kc, ov, oc`), the key's row locked (MySQL `FOR UPDATE`) and the
       * organisation's too: for a spend that takes from the organisation's buckets.
       */
      readBoth: Statement<'key' | 'organisation'>
      /**
       * The same, the organisation's row read but not locked (its version only, `oc` null):
       * spends of one organisation's keys never wait for each other without shared buckets.
       */
      readKey: Statement<'key' | 'organisation'>
      writeKey: Statement<'id' | 'counters'>
      writeOrganisation: Statement<'id' | 'counters'>
    }

/** Builds the spend's statements for `flavour`. */
export function spendStatements(
  db: Kysely<unknown>,
  names: TableNames,
  prefix: string,
  flavour: SqlFlavour,
): SpendStatements {
  if (flavour === 'postgres') {
    const call = compileOnce<PgSpendParameter>((param) => {
      const args = PG_SPEND_PARAMETERS.map(([name, type]) => sql`${param(name)}::${sql.raw(type)}`)
      return sql`select ${sql.id(pgSpendFunctionName(prefix))}(${sql.join(args)}) as r`.compile(db)
    })
    return { flavour, call }
  }
  const q = db as unknown as Kysely<KeycycleTables>
  const keys = names.keys as 'keys'
  const K = `${names.keys} as k` as 'keys as k'
  const O = `${names.organisations} as o` as 'organisations as o'
  const mysql = flavour === 'mysql'

  const readBoth = compileOnce<'key' | 'organisation'>((param) => {
    const select = q
      .selectFrom(K)
      .innerJoin(O, (join) => join.on('o.id', '=', param('organisation')))
      .select(['k.version as kv', 'k.organisation as ko', 'k.counters as kc'])
      .select(['o.version as ov', 'o.counters as oc'])
      .where('k.id', '=', param('key'))
    return (mysql ? select.forUpdate() : select).compile()
  })
  // A locking read does not lock what its subqueries read.
  const readKey = mysql
    ? compileOnce<'key' | 'organisation'>((param) =>
        q
          .selectFrom(K)
          .select(['k.version as kv', 'k.organisation as ko', 'k.counters as kc'])
          .select((eb) =>
            eb.selectFrom(O).select('o.version').where('o.id', '=', param('organisation')).as('ov'),
          )
          .select(sql<null>`null`.as('oc'))
          .where('k.id', '=', param('key'))
          .forUpdate()
          .compile(),
      )
    : readBoth
  const lock = mysql
    ? null
    : compileOnce<'key'>((param) =>
        q
          .updateTable(keys)
          .set({ version: sql.ref('version') } as never)
          .where('id', '=', param('key'))
          .compile(),
      )
  const counters = (table: 'keys' | 'organisations') =>
    compileOnce<'id' | 'counters'>((param) =>
      q
        .updateTable(table)
        .set({ counters: param('counters') })
        .where('id', '=', param('id'))
        .compile(),
    )
  return {
    flavour,
    lock,
    readBoth,
    readKey,
    writeKey: counters(keys),
    writeOrganisation: counters(names.organisations as 'organisations'),
  }
}
