// The store's driver options (`pg`, `mysql`, `sqlite`), refused before any I/O when they do not fit. The
// options every store shares are in options.test.ts.
import Database from 'better-sqlite3'
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import {
  kyselyStore,
  type MysqlPool,
  type PgPool,
  reusePreparedStatements,
} from '../../adapters/kysely'

// Shaped like the drivers' pools; nothing here connects.
const pgPool: PgPool = {
  query: async () => ({ rows: [] }),
  connect: async () => {
    throw new Error('not connected')
  },
}
const mysqlPool = { execute: () => {}, getConnection: () => {} } as MysqlPool
const postgres = new Kysely<unknown>({ dialect: new PostgresDialect({ pool: pgPool as never }) })
const mysql = new Kysely<unknown>({ dialect: new MysqlDialect({ pool: mysqlPool as never }) })
const connection = new Database(':memory:')
const sqlite = new Kysely<unknown>({ dialect: new SqliteDialect({ database: connection }) })
afterAll(() => sqlite.destroy())

const refused = (field: string) =>
  expect.objectContaining({ code: 'validation', details: { field } })

describe('kyselyStore pg option', () => {
  it('gives a PostgreSQL store a change channel only with a pool', () => {
    expect(kyselyStore(postgres, { pg: pgPool }).watch).toBeTypeOf('function')
    expect(kyselyStore(postgres).watch).toBeUndefined()
  })

  it('refuses a pg option that is not a pool, or on another dialect', () => {
    for (const [db, pg] of [
      [postgres, { query: () => {} }],
      [postgres, 'postgres://localhost/test'],
      [sqlite, pgPool],
      [mysql, pgPool],
    ] as const) {
      expect(() => kyselyStore(db, { pg: pg as never })).toThrow(refused('pg'))
    }
  })
})

describe('kyselyStore mysql option', () => {
  it('is taken on a MySQL store, which has no change channel', () => {
    expect(kyselyStore(mysql, { mysql: mysqlPool }).watch).toBeUndefined()
  })

  it('refuses a mysql option that is not a mysql2 pool, or on another dialect', () => {
    for (const [db, option] of [
      [mysql, { execute: () => {} }],
      [mysql, pgPool],
      [postgres, mysqlPool],
      [sqlite, mysqlPool],
    ] as const) {
      expect(() => kyselyStore(db, { mysql: option as never })).toThrow(refused('mysql'))
    }
  })
})

describe('kyselyStore sqlite option', () => {
  it('is taken on a SQLite store, which has no change channel', () => {
    expect(kyselyStore(sqlite, { sqlite: connection }).watch).toBeUndefined()
  })

  it('refuses a sqlite option that is not a better-sqlite3 Database, or on another dialect', () => {
    for (const [db, option] of [
      [sqlite, reusePreparedStatements(new Database(':memory:'))], // the wrapper, not the Database
      [sqlite, { prepare: () => {} }],
      [sqlite, ':memory:'],
      [sqlite, pgPool],
      [postgres, connection],
      [mysql, connection],
    ] as const) {
      expect(() => kyselyStore(db, { sqlite: option as never })).toThrow(refused('sqlite'))
    }
  })
})
