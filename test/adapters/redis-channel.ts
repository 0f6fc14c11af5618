import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { redisStore } from '../../adapters/redis'
import { keyRecord, type StoreSuiteContext } from '../../src/conformance'
import { until } from '../helpers/until'
import { type ChannelFaultHarness, feedLog } from './channel-faults'
import {
  type Client,
  type RedisOpenStore,
  randomPrefix,
  removeAll,
  type Topology,
} from './redis-harness'
import { startRedisServer } from './redis-server'
import { tcpGate } from './tcp-gate'

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

const COMMAND_TIMEOUT_MS = 300

/**
 * The change channel's fault suite on Redis: a redis-server of the test's own, paused with
 * SIGSTOP, its subscriber connection cut with CLIENT KILL; the watching store reaches it through
 * a gate that counts connections, with `commandTimeoutMs` (the channel's connect timeout) 300.
 */
export const redisChannelHarness: ChannelFaultHarness = {
  name: 'Redis',
  async open() {
    const server = await startRedisServer()
    const gate = await tcpGate(server.port)
    const prefix = randomPrefix()
    const options = { prefix, commandTimeoutMs: COMMAND_TIMEOUT_MS }
    // The watcher's own client never sends a command (watch uses a duplicate of it).
    const watching = new Redis({ port: gate.port, host: '127.0.0.1', lazyConnect: true })
    const raw = new Redis({ port: server.port, host: '127.0.0.1', retryStrategy: () => 50 })
    raw.on('error', () => {})
    const channel = `${prefix}changes`
    return {
      watcher: redisStore(watching, options),
      writer: redisStore(raw, options),
      gate,
      connectTimeoutMs: COMMAND_TIMEOUT_MS,
      pause: () => server.process.kill('SIGSTOP'),
      resume: () => server.process.kill('SIGCONT'),
      cut: async () => {
        await raw.client('KILL', 'TYPE', 'pubsub')
      },
      send: async (text) => {
        await raw.publish(channel, text)
      },
      listeners: () => subscribers(raw, channel),
      async close() {
        watching.disconnect()
        raw.disconnect()
        await gate.close()
        await server.stop()
      },
    }
  },
  silent(port) {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true })
    return {
      store: redisStore(client, { commandTimeoutMs: COMMAND_TIMEOUT_MS }),
      connectTimeoutMs: COMMAND_TIMEOUT_MS,
      close: async () => client.disconnect(),
    }
  },
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
    if (topology === 'standalone') describeEndedClient()
  }
}

function describeEndedClient(): void {
  describe('change channel on an ended client', () => {
    const cleanups: (() => unknown)[] = []
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
    })

    it('refuses to watch, at once, on a client that has ended', async () => {
      const server = await startRedisServer()
      cleanups.push(() => server.stop())
      const client = new Redis({ port: server.port, host: '127.0.0.1', retryStrategy: () => 50 })
      client.on('error', () => {})
      cleanups.push(() => client.disconnect())
      const store = redisStore(client, { prefix: randomPrefix(), commandTimeoutMs: 300 })
      await client.quit()
      expect(await until(() => client.status === 'end')).toBe(true)
      await expect(store.watch!(feedLog().feed, { heartbeatMs: 100 })).rejects.toMatchObject({
        code: 'unavailable',
      })
    })
  })
}
