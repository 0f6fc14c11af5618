import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { redisStore } from '../../adapters/redis'
import { keyRecord, type StoreSuiteContext } from '../../src/conformance'
import type { ChangeFeed, StoreChange } from '../../src/store'
import {
  type Client,
  type RedisOpenStore,
  randomPrefix,
  removeAll,
  type Topology,
} from './redis-harness'
import { startRedisServer } from './redis-server'

type FeedEvent = { type: 'changed' | 'gap' | 'live'; at: number; change?: StoreChange }

/** A feed that logs every call with its time (performance.now()). */
export function feedLog() {
  const events: FeedEvent[] = []
  const log = (type: FeedEvent['type'], change?: StoreChange) =>
    events.push({ type, at: performance.now(), ...(change && { change }) })
  const feed: ChangeFeed = {
    changed: (change) => log('changed', change),
    gap: () => log('gap'),
    live: () => log('live'),
  }
  return {
    feed,
    events,
    /** Calls of `type` logged after `since` (ms, performance.now()). */
    count: (type: FeedEvent['type'], since = 0) =>
      events.filter((e) => e.type === type && e.at > since).length,
    heard: (id: string) => events.some((e) => e.change?.id === id),
  }
}

/** Waits until `done()` holds, polling every 5 ms, for at most `ms`. */
export async function until(done: () => boolean | Promise<boolean>, ms = 2000): Promise<boolean> {
  const end = performance.now() + ms
  while (!(await done()) && performance.now() < end) await new Promise((r) => setTimeout(r, 5))
  return done()
}

const masters = (client: Client) => ('nodes' in client ? client.nodes('master') : [client])

/** Subscribers of `channel`, summed over the masters (PUBSUB NUMSUB is per node). */
async function subscribers(client: Client, channel: string): Promise<number> {
  let total = 0
  for (const node of masters(client)) {
    const [, count] = (await node.pubsub('NUMSUB', channel)) as [string, number]
    total += Number(count)
  }
  return total
}

/** Through `redisExtras`: the change channel beyond the conformance suite's watch tests. */
export function channelExtras(topology: Topology) {
  return ({ test }: StoreSuiteContext<RedisOpenStore>): void => {
    describe('change channel', () => {
      test('keeps two prefixes on one Redis apart', async ({ store, raw }) => {
        const other = randomPrefix()
        const { feed, heard } = feedLog()
        const subscription = await store.watch!(feed, { heartbeatMs: 100 })
        try {
          const theirs = keyRecord()
          const mine = keyRecord()
          expect(await redisStore(raw, { prefix: other }).insertKey(theirs)).toBe(true)
          expect(await store.insertKey(mine)).toBe(true)
          expect(await until(() => heard(mine.id))).toBe(true)
          await new Promise((resolve) => setTimeout(resolve, 50))
          expect(heard(theirs.id)).toBe(false)
        } finally {
          await subscription.close()
          await removeAll(raw, other)
        }
      })

      test('holds one subscriber connection while watching, none and no timers after close', async ({
        store,
        raw,
        prefix,
      }) => {
        const channel = `${prefix}changes`
        const { feed, count } = feedLog()
        const subscription = await store.watch!(feed, { heartbeatMs: 40 })
        expect(await until(async () => (await subscribers(raw, channel)) === 1)).toBe(true)
        await subscription.close()
        await subscription.close()
        const closedAt = performance.now()
        expect(await until(async () => (await subscribers(raw, channel)) === 0)).toBe(true)
        await new Promise((resolve) => setTimeout(resolve, 150))
        expect(count('live', closedAt) + count('gap', closedAt)).toBe(0)
      })
    })
    if (topology === 'standalone') describeChannelFaults()
  }
}

function describeChannelFaults(): void {
  describe('change channel faults', () => {
    const cleanups: (() => unknown)[] = []
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
    })

    // A server of the test's own, a client that keeps reconnecting to it, and a store over it.
    async function ownStore() {
      const server = await startRedisServer()
      cleanups.push(() => server.stop())
      const client = new Redis({ port: server.port, host: '127.0.0.1', retryStrategy: () => 50 })
      client.on('error', () => {})
      cleanups.push(() => client.disconnect())
      const store = redisStore(client, { prefix: randomPrefix(), commandTimeoutMs: 300 })
      return { server, client, store }
    }

    it('reports a gap within 2× heartbeatMs when the server stops answering, and is live again after it resumes', async () => {
      const { server, store } = await ownStore()
      const heartbeatMs = 200
      const log = feedLog()
      const subscription = await store.watch!(log.feed, { heartbeatMs })
      cleanups.push(() => subscription.close())
      expect(await until(() => log.count('live') >= 3)).toBe(true)

      server.process.kill('SIGSTOP')
      const stoppedAt = performance.now()
      cleanups.push(() => server.process.kill('SIGCONT'))
      expect(await until(() => log.count('gap') > 0)).toBe(true)
      const gapAt = log.events.find((e) => e.type === 'gap')!.at
      expect(gapAt - stoppedAt).toBeLessThan(2 * heartbeatMs)
      // Paused: nothing may claim the channel live again.
      await new Promise((resolve) => setTimeout(resolve, 3 * heartbeatMs))
      expect(log.count('live', gapAt)).toBe(0)

      server.process.kill('SIGCONT')
      const resumedAt = performance.now()
      expect(await until(() => log.count('live', resumedAt) > 0, 5000)).toBe(true)
      const record = keyRecord()
      expect(await store.insertKey(record)).toBe(true)
      expect(await until(() => log.heard(record.id))).toBe(true)
    })

    it('reports a gap when the subscriber connection is cut, and hears changes again once resubscribed', async () => {
      const { client, store } = await ownStore()
      const log = feedLog()
      const subscription = await store.watch!(log.feed, { heartbeatMs: 100 })
      cleanups.push(() => subscription.close())
      const cutAt = performance.now()
      await client.client('KILL', 'TYPE', 'pubsub')
      expect(await until(() => log.count('gap', cutAt) > 0)).toBe(true)
      const gapAt = log.events.find((e) => e.type === 'gap')!.at
      expect(await until(() => log.count('live', gapAt) > 0)).toBe(true)
      const record = keyRecord()
      expect(await store.insertKey(record)).toBe(true)
      expect(await until(() => log.heard(record.id))).toBe(true)
    })

    it('refuses to watch, at once, on a client that has ended', async () => {
      const { client, store } = await ownStore()
      await client.quit()
      expect(await until(() => client.status === 'end')).toBe(true)
      await expect(store.watch!(feedLog().feed, { heartbeatMs: 100 })).rejects.toMatchObject({
        code: 'unavailable',
      })
    })
  })
}
