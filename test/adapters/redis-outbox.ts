import { Cluster } from 'ioredis'
import { describe, expect } from 'vitest'
import { redisStore } from '../../adapters/redis'
import { layout } from '../../adapters/redis/layout'
import { dueEntries, rescore, touchIndex } from '../../adapters/redis/outbox-index'
import {
  ADMIN,
  HOUR,
  keyRecord,
  randomBytes,
  type StoreSuiteContext,
  T0,
} from '../../src/conformance'
import { newId } from '../../src/core/ids'
import { newOrganisation } from '../../src/core/organisations'
import type { ClaimedEvent, KeyStore, OutboxEvent } from '../../src/store'
import { until } from '../helpers/until'
import type { Client, RedisOpenStore, Topology } from './redis-harness'

const masters = (client: Client) => (client instanceof Cluster ? client.nodes('master') : [client])

let counter = 0
/** An event about `subject`, in its own stream unless `stream` is given. */
function event(
  subject: { kind: 'key' | 'organisation'; id: string },
  seq: number,
  overrides: Partial<OutboxEvent> = {},
): OutboxEvent {
  const id = `evt_redis_${Date.now()}_${counter++}`
  return { id, subject, stream: subject.id, seq, availableAt: T0, body: '{}', ...overrides }
}

/** Claims widely at `now`, keeping the events named in `ids`. */
async function claim(store: KeyStore, ids: string[], now = T0): Promise<ClaimedEvent[]> {
  const claimed = await store.claimEvents({ owner: 'x', now, leaseUntil: now + 1000, limit: 1000 })
  return claimed.filter((e) => ids.includes(e.id))
}

/** Every Redis name holding `{tag}`, with the master it lives on (by index). */
async function namesOf(raw: Client, prefix: string, tag: string): Promise<Map<string, number>> {
  const found = new Map<string, number>()
  for (const [i, node] of masters(raw).entries()) {
    let cursor = '0'
    do {
      const [next, names] = await node.scan(cursor, 'MATCH', `${prefix}{${tag}}:*`, 'COUNT', 1000)
      cursor = next
      for (const name of names) found.set(name, i)
    } while (cursor !== '0')
  }
  return found
}

/** Through `redisExtras`: how the outbox sits in Redis, and how it survives a crash. */
export function outboxExtras(_topology: Topology) {
  return ({ test }: StoreSuiteContext<RedisOpenStore>): void => {
    describe('outbox layout and recovery', () => {
      test('keeps each event beside its record, on the record’s master', async ({
        store,
        raw,
        prefix,
      }) => {
        const organisation = newOrganisation({}, newId('org', T0, randomBytes(16)), ADMIN, T0)
        const key = keyRecord({ organisation: organisation.id })
        const events = [
          event({ kind: 'organisation', id: organisation.id }, 1),
          event({ kind: 'key', id: key.id }, 1),
          event({ kind: 'key', id: key.id }, 1, {
            stream: 'evt_scheduled',
            availableAt: T0 + HOUR,
          }),
        ]
        expect(await store.insertOrganisation(organisation, key, { events })).toBe(true)
        for (const id of [organisation.id, key.id]) {
          const names = await namesOf(raw, prefix, id)
          const suffixes = [...names.keys()].map((n) => n.slice(`${prefix}{${id}}:`.length))
          expect(suffixes).toContain('outbox:queue')
          expect(suffixes.filter((s) => s.startsWith('event:'))).toHaveLength(
            events.filter((e) => e.subject.id === id).length,
          )
          expect(new Set(names.values()).size, id).toBe(1)
        }
        expect(
          (
            await claim(
              store,
              events.map((e) => e.id),
            )
          )
            .map((e) => e.id)
            .sort(),
        ).toEqual([events[0]!.id, events[1]!.id].sort())
      })

      test('removes a key and its events when its organisation cannot be inserted', async ({
        store,
        raw,
        prefix,
      }) => {
        const organisation = newOrganisation({}, newId('org', T0, randomBytes(16)), ADMIN, T0)
        expect(
          await store.insertOrganisation(
            organisation,
            keyRecord({ organisation: organisation.id }),
          ),
        ).toBe(true)
        const key = keyRecord({ organisation: organisation.id })
        const mine = event({ kind: 'key', id: key.id }, 1)
        const events = [mine, event({ kind: 'organisation', id: organisation.id }, 1)]
        expect(await store.insertOrganisation(organisation, key, { events })).toBe(false)
        // Only the request marker is left, as after any write.
        const left = [...(await namesOf(raw, prefix, key.id)).keys()]
        expect(left.filter((name) => !name.includes(':req:'))).toEqual([])
        expect(
          await claim(
            store,
            events.map((e) => e.id),
          ),
        ).toEqual([])
      })

      test('finds events whose index entry a crash never wrote', async ({ store, raw, prefix }) => {
        const at = layout(prefix)
        const key = keyRecord()
        const created = event({ kind: 'key', id: key.id }, 1)
        expect(await store.insertKey(key, { events: [created] })).toBe(true)
        // What a process killed between the script and the index leaves: an unindexed outbox.
        await raw.zrem(at.pending.subjects, key.id)
        expect(await claim(store, [created.id])).toEqual([])
        // A new process: its first claim scans, and a later one finds the event.
        const restarted = redisStore(raw, { prefix })
        let found: ClaimedEvent[] = []
        expect(
          await until(async () => {
            // Sticky: \`until\` asks once more after the first yes.
            if (found.length === 0) found = await claim(restarted, [created.id])
            return found.length === 1
          }),
        ).toBe(true)
        expect(await restarted.settleEvent(found[0]!, { owner: 'x', deliveredAt: T0 })).toBe(true)
        // The same for a delivery the delivered index lost: a new process prunes it.
        await raw.zrem(at.delivered.subjects, key.id)
        const again = redisStore(raw, { prefix })
        let pruned = 0
        expect(
          await until(async () => {
            pruned += await again.pruneEvents(T0, 1000)
            return (await raw.exists(at.outbox(key.id).event(created.id))) === 0
          }),
        ).toBe(true)
        expect(pruned).toBeGreaterThanOrEqual(1)
      })

      test('scores a subject by its next due event, and drops it once its outbox is empty', async ({
        store,
        raw,
        prefix,
      }) => {
        const at = layout(prefix)
        const key = keyRecord()
        const later = event({ kind: 'key', id: key.id }, 1, { availableAt: T0 + HOUR })
        expect(await store.insertKey(key, { events: [later] })).toBe(true)
        expect(Number(await raw.zscore(at.pending.subjects, key.id))).toBe(T0 + HOUR)
        expect(await claim(store, [later.id], T0)).toEqual([])
        expect(Number(await raw.zscore(at.pending.subjects, key.id))).toBe(T0 + HOUR)
        const [claimed] = await claim(store, [later.id], T0 + HOUR)
        // Under its lease, the subject is due again when the lease lapses.
        expect(Number(await raw.zscore(at.pending.subjects, key.id))).toBe(T0 + HOUR + 1000)
        expect(await store.settleEvent(claimed!, { owner: 'x', deliveredAt: T0 + HOUR })).toBe(true)
        await claim(store, [], T0 + 2 * HOUR)
        expect(await raw.zscore(at.pending.subjects, key.id)).toBeNull()
        expect(Number(await raw.zscore(at.delivered.subjects, key.id))).toBe(T0 + HOUR)
      })

      test('keeps an index entry that a writer touched between a reader’s read and its update', async ({
        raw,
        prefix,
      }) => {
        const index = layout(prefix).pending
        const subject = `key_race_${counter++}`
        await touchIndex(raw as never, index, [{ subject, score: T0, token: 'first' }])
        const read = (await dueEntries(raw as never, index, T0, 1000)).filter(
          (e) => e.subject === subject,
        )
        expect(read).toEqual([{ subject, token: 'first' }])
        await touchIndex(raw as never, index, [{ subject, score: T0, token: 'second' }])
        await rescore(raw as never, index, [{ ...read[0]!, hint: null }])
        expect(Number(await raw.zscore(index.subjects, subject))).toBe(T0)
        await rescore(raw as never, index, [{ subject, token: 'second', hint: null }])
        expect(await raw.zscore(index.subjects, subject)).toBeNull()
      })
    })
  }
}
