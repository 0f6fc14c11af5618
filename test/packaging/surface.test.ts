import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { HeaderRecord as ExpressHeaders } from '../../src/express'
import type { HeaderRecord as FastifyHeaders } from '../../src/fastify'
import type { HeaderRecord as FetchHeaders } from '../../src/fetch'
import type { HeaderRecord as HonoHeaders } from '../../src/hono'
import type { HeaderRecord as KoaHeaders } from '../../src/koa'

const SRC = join(import.meta.dirname, '../../src')

// Every name an entry file exports, types included, read from its export statements.
function exportedNames(file: string): string[] {
  const source = readFileSync(join(SRC, file), 'utf8')
  const names: string[] = []
  for (const [, list] of source.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const part of list!.split(',')) {
      const name = part
        .trim()
        .split(/\s+as\s+/)
        .pop()!
        .replace(/^type\s+/, '')
      if (name) names.push(name)
    }
  }
  for (const [, name] of source.matchAll(
    /export (?:declare )?(?:async )?(?:function|const|class|interface|type)\s+(\w+)/g,
  )) {
    names.push(name!)
  }
  return names
}

describe('the public surface', () => {
  it('keeps the main entry to what hosts use: at most 60 names, no store-author or HTTP internals', () => {
    const names = exportedNames('index.ts')
    expect(names.length).toBeLessThanOrEqual(60)
    for (const internal of [
      'matchesClause',
      'ClaimQuery',
      'EventSettlement',
      'KeyRecord',
      'ERROR_STATUS',
      'HttpOnlyErrorCode',
      'HashFunctions',
    ]) {
      expect(names, internal).not.toContain(internal)
    }
  })

  it('gives store authors their own entry with the port, records, queries and helpers', async () => {
    const store = await import('../../src/store')
    for (const name of [
      'matchesClause',
      'watchChangeChannel',
      'parseChange',
      'untilDeadline',
      'decoyRecords',
    ]) {
      expect(store, name).toHaveProperty(name)
    }
    const names = exportedNames('store/index.ts')
    for (const type of ['KeyStore', 'KeyRecord', 'ClaimQuery', 'EventSettlement', 'CallOptions']) {
      expect(names, type).toContain(type)
    }
  })

  it('exports the same names from every host entry where the concept exists', async () => {
    const hosts = {
      express: await import('../../src/express'),
      koa: await import('../../src/koa'),
      fastify: await import('../../src/fastify'),
      hono: await import('../../src/hono'),
      fetch: await import('../../src/fetch'),
    }
    for (const [host, entry] of Object.entries(hosts)) {
      for (const name of [
        'apiKeyAuth',
        'keysRouter',
        'requirePermission',
        'hasPermission',
        'secretScanning',
      ]) {
        expect(entry, `${host}: ${name}`).toHaveProperty(name)
      }
      // A verified key is kept on a request object everywhere but fetch, which has none: its
      // handlers receive the key as an argument.
      if (host !== 'fetch') expect(entry, `${host}: requireKey`).toHaveProperty('requireKey')
    }
    // The header type every host accepts, by the same name (checked by the compiler).
    const headers: [ExpressHeaders, KoaHeaders, FastifyHeaders, HonoHeaders, FetchHeaders] = [
      {},
      {},
      {},
      {},
      {},
    ]
    expect(headers).toHaveLength(5)
  })
})
