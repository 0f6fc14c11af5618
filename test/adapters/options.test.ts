import Database from 'better-sqlite3'
import { Redis } from 'ioredis'
import { Kysely, SqliteDialect } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { kyselyStore, migrateKeycycle } from '../../adapters/kysely'
import { redisStore } from '../../adapters/redis'
import { KeycycleError } from '../../src'

// Option mistakes are refused when the store is built, before any I/O, naming the option.
const refused = (field: string) => ({ code: 'validation', details: { field } })
const thrown = (build: () => unknown) => {
  try {
    build()
  } catch (error) {
    expect(error).toBeInstanceOf(KeycycleError)
    return error
  }
  throw new Error('expected a throw')
}
const anything = (value: unknown) => value as never

describe('kyselyStore and migrateKeycycle options', () => {
  const db = new Kysely<unknown>({
    dialect: new SqliteDialect({ database: new Database(':memory:') }),
  })
  afterAll(() => db.destroy())

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a pg-like pool', { query: () => {}, connect: () => {} }],
    ['a string', 'postgres://localhost/db'],
  ])('refuses %s as db', async (_, value) => {
    expect(thrown(() => kyselyStore(anything(value)))).toMatchObject(refused('db'))
    await expect(migrateKeycycle(anything(value))).rejects.toMatchObject(refused('db'))
  })

  it('refuses a transaction as db', async () => {
    await db.transaction().execute(async (trx) => {
      expect(thrown(() => kyselyStore(trx))).toMatchObject(refused('db'))
    })
  })

  it.each([
    '',
    'Keycycle_',
    '1kc_',
    'kc-',
    'kc.',
    'kc ',
    'kc"; drop table x; --',
    'ké_',
    `k${'c'.repeat(31)}`,
  ])('refuses the table prefix %j', async (tablePrefix) => {
    expect(thrown(() => kyselyStore(db, { tablePrefix }))).toMatchObject(refused('tablePrefix'))
    await expect(migrateKeycycle(db, { tablePrefix })).rejects.toMatchObject(refused('tablePrefix'))
  })

  it('refuses a prefix that is not a string, and options it does not know', async () => {
    expect(thrown(() => kyselyStore(db, anything({ tablePrefix: 7 })))).toMatchObject(
      refused('tablePrefix'),
    )
    expect(thrown(() => kyselyStore(db, anything({ prefix: 'kc_' })))).toMatchObject(
      refused('options.prefix'),
    )
    expect(thrown(() => kyselyStore(db, anything('kc_')))).toMatchObject(refused('options'))
    await expect(migrateKeycycle(db, anything({ table: 'x' }))).rejects.toMatchObject(
      refused('options.table'),
    )
  })

  it('accepts the documented prefixes', () => {
    for (const tablePrefix of ['keycycle_', '_', 'billing_kc_', `k${'c'.repeat(30)}`]) {
      expect(kyselyStore(db, { tablePrefix })).toBeTypeOf('object')
    }
    expect(kyselyStore(db)).toBeTypeOf('object')
  })
})

describe('redisStore options', () => {
  // Never connects: validation happens before any command.
  const client = new Redis({ lazyConnect: true })
  afterAll(() => client.disconnect())

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['a URL', 'redis://127.0.0.1:6379'],
    ['a node-redis-like client', { get: () => {}, sendCommand: () => {} }],
  ])('refuses %s as client', (_, value) => {
    expect(thrown(() => redisStore(anything(value)))).toMatchObject(refused('client'))
  })

  it.each([
    'key cycle:',
    'kc\t',
    'kc\n',
    'kc\u0000',
    'kc\u007f',
    'kc\u00a0',
    '{kc}:',
    'kc{',
    'kc}',
    'k'.repeat(65),
  ])('refuses the prefix %j', (prefix) => {
    expect(thrown(() => redisStore(client, { prefix }))).toMatchObject(refused('prefix'))
  })

  it.each([
    ['commandTimeoutMs', 0],
    ['commandTimeoutMs', -1],
    ['commandTimeoutMs', 1.5],
    ['commandTimeoutMs', Number.NaN],
    ['commandTimeoutMs', Number.POSITIVE_INFINITY],
    ['commandTimeoutMs', 2 ** 31],
    ['commandTimeoutMs', '500'],
    ['markerTtlMs', 0],
    ['batchSize', 0],
    ['batchSize', 10_001],
  ])('refuses %s = %s', (field, value) => {
    expect(thrown(() => redisStore(client, anything({ [field]: value })))).toMatchObject(
      refused(field),
    )
  })

  it('refuses options it does not know', () => {
    expect(thrown(() => redisStore(client, anything({ timeoutMs: 100 })))).toMatchObject(
      refused('options.timeoutMs'),
    )
  })

  it('accepts the documented prefixes and limits', () => {
    for (const prefix of ['', 'keycycle:', 'app:prod:kc:', 'kc/ü:', 'k'.repeat(64)]) {
      expect(redisStore(client, { prefix })).toBeTypeOf('object')
    }
    expect(redisStore(client, { commandTimeoutMs: 1, markerTtlMs: 1, batchSize: 1 })).toBeTypeOf(
      'object',
    )
    expect(redisStore(client, { commandTimeoutMs: 2 ** 31 - 1 })).toBeTypeOf('object')
    expect(client.status).toBe('wait')
  })
})
