import { Cluster, Redis } from 'ioredis'
import { describe, expect } from 'vitest'
import { redisStore } from '../../adapters/redis'
import { ADMIN, keyRecord, randomBytes, type StoreSuiteContext, T0 } from '../../src/conformance'
import { bucket, credits, plan, spendOf } from '../../src/conformance/usage-fixtures'
import { newId } from '../../src/core/ids'
import { newOrganisation } from '../../src/core/organisations'
import type { KeyRecord } from '../../src/core/types'
import {
  CLUSTER_NODES,
  type Client,
  connect,
  REDIS_URL,
  type RedisOpenStore,
  randomPrefix,
  removeAll,
  type Topology,
} from './redis-harness'

const COMMANDS = new Set([
  'hget',
  'hmget',
  'hset',
  'evalsha',
  'eval',
  'zrangebylex',
  'zrevrangebylex',
])

/** A client that logs the commands the store sends through it, by name. */
function counting(client: Client) {
  const sent: string[] = []
  const proxy = new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target)
      if (typeof value !== 'function') return value
      if (typeof property === 'string' && COMMANDS.has(property)) {
        return (...args: unknown[]) => {
          sent.push(property)
          return value.apply(target, args)
        }
      }
      return value.bind(target)
    },
  })
  return { client: proxy, sent, reset: () => sent.splice(0) }
}

const newOrg = (id = newId('org', T0, randomBytes(16))) => newOrganisation({}, id, ADMIN, T0)

/** Through `redisExtras`: what each store call costs in commands, on both topologies. */
export function roundTripExtras(topology: Topology) {
  return ({ test }: StoreSuiteContext<RedisOpenStore>): void => {
    describe('round trips', () => {
      test(`verifies in ${topology === 'standalone' ? 'one round trip' : 'two round trips'}, an unknown key ID the same`, async ({
        prefix,
      }) => {
        const { client, reset } = counting(connect(topology))
        try {
          const store = redisStore(client, { prefix })
          const organisation = newOrg()
          const key = keyRecord({ organisation: organisation.id })
          expect(await store.insertOrganisation(organisation, key)).toBe(true)
          await store.getKeyWithOrganisation(key.id) // loads the script, if any
          reset()
          expect(await store.getKeyWithOrganisation(key.id)).toEqual({ key, organisation })
          const known = reset()
          expect(await store.getKeyWithOrganisation(keyRecord().id)).toBeNull()
          const unknown = reset()
          // The decoy (written at this first unknown ID) is read where the organisation is.
          expect(await store.getKeyWithOrganisation(keyRecord().id)).toBeNull()
          const unknownAgain = reset()
          expect(known).toEqual(topology === 'standalone' ? ['evalsha'] : ['hget', 'hget'])
          expect(unknown.filter((c) => c !== 'hset')).toEqual(
            topology === 'standalone' ? ['evalsha'] : ['hget', 'hmget'],
          )
          expect(unknownAgain).toEqual(unknown.filter((c) => c !== 'hset'))
        } finally {
          client.disconnect()
        }
      })

      test('reads as many records as a page needs, and more only while filters reject', async ({
        prefix,
      }) => {
        const { client, sent, reset } = counting(connect(topology))
        try {
          const store = redisStore(client, { prefix })
          const organisation = newOrg()
          const records: KeyRecord[] = Array.from({ length: 40 }, () =>
            keyRecord({ organisation: organisation.id }),
          ).sort((x, y) => (x.id < y.id ? -1 : 1))
          // The 20 newest are trials, so a list of standard keys first meets 20 rejects.
          const keys = records.map((r, i) => (i >= 20 ? { ...r, type: 'trial' as const } : r))
          expect(await store.insertOrganisation(organisation, keys[0]!)).toBe(true)
          for (const key of keys.slice(1)) expect(await store.insertKey(key)).toBe(true)
          const ids = (page: KeyRecord[]) => page.map((k) => k.id)
          const newest = [...keys].reverse()

          reset()
          const page = await store.listKeys({
            organisation: organisation.id,
            order: 'desc',
            limit: 11,
          })
          expect(ids(page)).toEqual(ids(newest.slice(0, 11)))
          expect(sent.filter((c) => c === 'hget')).toHaveLength(11)
          expect(sent.filter((c) => c === 'zrevrangebylex')).toHaveLength(1)

          reset()
          const standard = await store.listKeys({
            organisation: organisation.id,
            type: 'standard',
            order: 'desc',
            limit: 11,
          })
          expect(ids(standard)).toEqual(ids(newest.slice(20, 31)))
          expect(sent.filter((c) => c === 'zrevrangebylex').length).toBeLessThanOrEqual(2)
          expect(sent.filter((c) => c === 'hget').length).toBeLessThanOrEqual(40)
        } finally {
          client.disconnect()
        }
      })

      test('finds the organisation under the client’s own keyPrefix', async ({ raw }) => {
        const keyPrefix = randomPrefix()
        const client =
          topology === 'standalone'
            ? new Redis(REDIS_URL, { keyPrefix })
            : new Cluster(CLUSTER_NODES, { keyPrefix })
        try {
          const store = redisStore(client, { prefix: 'kc:' })
          const organisation = newOrg()
          const key = keyRecord({ organisation: organisation.id })
          expect(await store.insertOrganisation(organisation, key)).toBe(true)
          expect(await store.getKeyWithOrganisation(key.id)).toEqual({ key, organisation })
        } finally {
          client.disconnect()
          await removeAll(raw, keyPrefix)
        }
      })

      test(`spends in ${topology === 'standalone' ? 'one round trip' : 'two round trips'}, fenced, its counters in the hashes' fields`, async ({
        prefix,
        raw,
      }) => {
        const { client, sent, reset } = counting(connect(topology))
        try {
          const store = redisStore(client, { prefix })
          const organisation = newOrg()
          const key = keyRecord({ organisation: organisation.id })
          expect(await store.insertOrganisation(organisation, key)).toBe(true)
          const both = [bucket('own', 10, 1000), bucket('shared', 10, 1000, 'organisation')]
          const spend = () =>
            store.spend(spendOf(key, organisation, plan(both, credits(10))), {
              deadline: Date.now() + 5000,
            })
          await spend() // loads the scripts
          reset()
          expect(await spend()).toMatchObject({ outcome: 'spent', credits: 8 })
          expect(sent).toEqual(topology === 'standalone' ? ['evalsha'] : ['evalsha', 'evalsha'])
          const keyHash = await raw.hgetall(`${prefix}{${key.id}}:key`)
          // Two units of 1000 each (ms × limit), at T0, under a limit of 10.
          expect(keyHash).toMatchObject({ buckets: `own ${T0} 2000 10`, credits: `1 8 ${T0}` })
          expect(JSON.parse(keyHash.record!)).toEqual(key)
          const orgHash = await raw.hgetall(`${prefix}{${organisation.id}}:org`)
          expect(orgHash.buckets).toBe(`shared ${T0} 2000 10`)
          expect(JSON.parse(orgHash.record!)).toEqual(organisation)
        } finally {
          client.disconnect()
        }
      })

      test('reads records written before usage control with its fields null, and spends for them', async ({
        store,
        raw,
        prefix,
      }) => {
        const organisation = newOrg()
        const key = keyRecord({ organisation: organisation.id })
        expect(await store.insertOrganisation(organisation, key)).toBe(true)
        const { rateLimits: _r, credits: _c, allowedIps: _a, ...oldKey } = key
        const { rateLimits: _or, allowedIps: _oa, ...oldOrganisation } = organisation
        await raw.hset(`${prefix}{${key.id}}:key`, 'record', JSON.stringify(oldKey))
        await raw.hdel(`${prefix}{${key.id}}:key`, 'organisation')
        await raw.hset(
          `${prefix}{${organisation.id}}:org`,
          'record',
          JSON.stringify(oldOrganisation),
        )
        expect(await store.getKeyWithOrganisation(key.id)).toEqual({ key, organisation })
        expect(await store.getOrganisation(organisation.id)).toEqual(organisation)
        expect(
          await store.listKeys({ organisation: organisation.id, order: 'asc', limit: 2 }),
        ).toEqual([key])
        const request = spendOf(key, organisation, plan([]))
        expect(await store.spend(request)).toMatchObject({ stale: false, outcome: 'spent' })
        expect(await store.spend({ ...request, keyVersion: 9 })).toEqual({
          stale: true,
          current: { key, organisation },
        })
      })

      test('verifies a key whose hash does not name its organisation (written before it did)', async ({
        store,
        raw,
        prefix,
      }) => {
        const organisation = newOrg()
        const key = keyRecord({ organisation: organisation.id })
        expect(await store.insertOrganisation(organisation, key)).toBe(true)
        expect(await raw.hget(`${prefix}{${key.id}}:key`, 'organisation')).toBe(organisation.id)
        await raw.hdel(`${prefix}{${key.id}}:key`, 'organisation')
        expect(await store.getKeyWithOrganisation(key.id)).toEqual({ key, organisation })
      })
    })
  }
}
