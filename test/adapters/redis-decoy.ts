import { describe, expect } from 'vitest'
import { redisStore } from '../../adapters/redis'
import { decoyJson } from '../../adapters/redis/verify-read'
import { DAY, keyRecord, randomBytes, type StoreSuiteContext, T0 } from '../../src/conformance'
import { dueClause } from '../../src/core/filters'
import { newId } from '../../src/core/ids'
import { newOrganisation } from '../../src/core/organisations'
import type { KeyRecord } from '../../src/core/types'
import {
  type Client,
  type RedisOpenStore,
  randomPrefix,
  removeAll,
  type Topology,
} from './redis-harness'

const newOrg = () => newOrganisation({}, newId('org', T0, randomBytes(16)), { kind: 'system' }, T0)

// IDs beside `id`: one character off either way at the end, and in the middle of the time part.
function beside(id: string): string[] {
  const swap = (s: string, i: number) =>
    `${s.slice(0, i)}${s[i] === '0' ? '1' : '0'}${s.slice(i + 1)}`
  return [swap(id, id.length - 1), swap(id, id.length - 2), swap(id, 10)]
}

/**
 * Through `redisExtras`: an unknown key ID reads the decoy (so it costs what a known one does),
 * and the decoy is never seen by any read, list, due query or digest count.
 */
export function decoyExtras(_topology: Topology) {
  return ({ test }: StoreSuiteContext<RedisOpenStore>): void => {
    describe('the decoy an unknown key ID reads', () => {
      // A prefix of each test's own, so the decoy is this test's to watch.
      const own = async (raw: Client, work: (prefix: string) => Promise<void>) => {
        const prefix = randomPrefix()
        try {
          await work(prefix)
        } finally {
          await removeAll(raw, prefix)
        }
      }

      test('is written at the first unknown ID, and unknown IDs still read as null', async ({
        raw,
      }) =>
        own(raw, async (prefix) => {
          const store = redisStore(raw, { prefix })
          const organisation = newOrg()
          const keys = [keyRecord({ organisation: organisation.id, name: 'first' })]
          expect(await store.insertOrganisation(organisation, keys[0]!)).toBe(true)
          for (let i = 0; i < 3; i++) {
            keys.push(keyRecord({ organisation: organisation.id }))
            expect(await store.insertKey(keys.at(-1)!)).toBe(true)
          }
          const decoy = `${prefix}{decoy}:decoy`
          expect(await raw.exists(decoy)).toBe(0)
          expect(await store.getKeyWithOrganisation(newId('key', T0, randomBytes(16)))).toBeNull()
          const written = await raw.hgetall(decoy)
          expect(Object.keys(written).sort()).toEqual(['organisation', 'record'])

          const ids = new Set(keys.map((k) => k.id))
          const unknown = [
            newId('key', T0, randomBytes(16)),
            newId('key', Date.now(), randomBytes(16)),
            ...keys.flatMap((k) => beside(k.id)),
            (JSON.parse(written.record!) as KeyRecord).id,
          ].filter((id) => !ids.has(id))
          for (const id of unknown) expect(await store.getKeyWithOrganisation(id)).toBeNull()
          // A second store on the prefix finds the decoy there and writes nothing.
          const other = redisStore(raw, { prefix })
          expect(await other.getKeyWithOrganisation(unknown[0]!)).toBeNull()
          expect(await raw.hgetall(decoy)).toEqual(written)
          for (const key of keys) {
            expect(await store.getKeyWithOrganisation(key.id)).toEqual({ key, organisation })
          }
          // Gone (evicted, flushed), it is written again at the next unknown ID.
          await raw.del(decoy)
          expect(await store.getKeyWithOrganisation(unknown[1]!)).toBeNull()
          expect(await raw.exists(decoy)).toBe(1)
        }))

      test('never shows in a read, list, due query or digest count', async ({ raw }) =>
        own(raw, async (prefix) => {
          const store = redisStore(raw, { prefix })
          const organisation = newOrg()
          const key = keyRecord({ organisation: organisation.id, expiresAt: T0 + DAY })
          expect(await store.insertOrganisation(organisation, key)).toBe(true)
          const digestsBefore = await store.countDigests(T0)
          expect(await store.getKeyWithOrganisation(newId('key', T0, randomBytes(16)))).toBeNull()
          const decoy = await raw.hgetall(`${prefix}{decoy}:decoy`)
          const decoyKey = JSON.parse(decoy.record!) as KeyRecord
          const decoyOrg = decoyKey.organisation

          expect(await store.getKeyWithOrganisation(decoyKey.id)).toBeNull()
          expect(await store.getOrganisation(decoyOrg)).toBeNull()
          expect(await store.countDigests(T0)).toEqual(digestsBefore)
          for (const order of ['asc', 'desc'] as const) {
            expect(await store.listKeys({ organisation: decoyOrg, order, limit: 10 })).toEqual([])
            const mine = await store.listKeys({ organisation: organisation.id, order, limit: 10 })
            expect(mine.map((k) => k.id)).toEqual([key.id])
          }
          const due = await store.listDueKeys({
            clause: dueClause(Number.MAX_SAFE_INTEGER),
            limit: 100,
          })
          expect(due.map((k) => k.id)).toEqual([key.id])
        }))

      test('holds records of a key’s size and no stored digest', async ({ raw }) =>
        own(raw, async (prefix) => {
          const { key, organisation } = decoyJson()
          const named = keyRecord({ name: 'verification decoy' })
          expect(key.length).toBeGreaterThan(0.9 * JSON.stringify(named).length)
          expect(key.length).toBeLessThan(1.1 * JSON.stringify(named).length)
          expect(organisation.length).toBe(JSON.stringify(newOrg()).length)
          // Each decoy has a digest of its own.
          expect(JSON.parse(decoyJson().key).primary.digest).not.toBe(
            JSON.parse(key).primary.digest,
          )
          // The store's reply to an unknown ID is as long as its reply to a known one.
          const store = redisStore(raw, { prefix })
          const org = newOrg()
          expect(await store.insertOrganisation(org, named)).toBe(true)
          expect(await store.getKeyWithOrganisation(newId('key', T0, randomBytes(16)))).toBeNull()
          const stored = await raw.hgetall(`${prefix}{decoy}:decoy`)
          const known =
            (await raw.hget(`${prefix}{${named.id}}:key`, 'record'))!.length +
            (await raw.hget(`${prefix}{${org.id}}:org`, 'record'))!.length
          const unknown = stored.record!.length + stored.organisation!.length
          expect(Math.abs(unknown - known)).toBeLessThan(0.1 * known)
        }))
    })
  }
}
