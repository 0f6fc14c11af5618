import { type ChildProcess, spawn } from 'node:child_process'
import { type AddressInfo, createServer, type Socket, connect as tcpConnect } from 'node:net'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { redisStore } from '../../adapters/redis'
import { createKeycycle, KeycycleError } from '../../src'
import {
  ADMIN,
  HOUR,
  manualClock,
  randomBytes,
  type StoreSuiteContext,
  T0,
} from '../../src/conformance'
import { newId } from '../../src/core/ids'
import { freePort } from '../helpers/ports'
import { channelExtras } from './redis-channel'
import { decoyExtras } from './redis-decoy'
import { giveBackExtras } from './redis-give-back'
import {
  REDIS_URL,
  type RedisOpenStore,
  randomPrefix,
  removeAll,
  type Topology,
} from './redis-harness'
import { outboxExtras } from './redis-outbox'
import { revocationExtras } from './redis-revocation'
import { roundTripExtras } from './redis-round-trips'

/**
 * Through `describeStore`'s `extras` hook: what only the Redis store has to show. The index
 * tests run on the suite's own connection, on both topologies; the fault tests need a server of
 * their own to cut or kill, and run on standalone only.
 */
export function redisExtras(topology: Topology) {
  return (context: StoreSuiteContext<RedisOpenStore>): void => {
    const { test } = context
    describe('indexes are hints, records the authority', () => {
      test('ignores index entries that point at missing or foreign keys', async ({
        store,
        raw,
        prefix,
      }) => {
        const kc = createKeycycle({ store })
        const mine = await kc.createOrganisation()
        const theirs = await kc.createOrganisation()
        const ghost = newId('key', T0, randomBytes(16))
        await raw.zadd(`${prefix}{${mine.organisation.id}}:keys`, 0, ghost, 0, theirs.key.id)
        const page = await kc.as(ADMIN).listKeys({ organisation: mine.organisation.id })
        expect(page.data.map((k) => k.id)).toEqual([mine.key.id])
      })

      test('sweeps a key once even though its due entries went stale along the way', async ({
        raw,
      }) => {
        // A prefix of its own: the due index must hold only this test's entries.
        const p = randomPrefix()
        try {
          const clock = manualClock()
          const kc = createKeycycle({ store: redisStore(raw, { prefix: p }), clock })
          const created = await kc.createOrganisation()
          const trial = await kc.as(ADMIN).createKey({
            organisation: created.organisation.id,
            type: 'trial',
            expiresAt: T0 + HOUR,
          })
          await kc.as(ADMIN).extendKey(trial.key.id, T0 + 3 * HOUR)
          await kc.as(ADMIN).updateKey(trial.key.id, { name: 'renamed' })
          clock.set(T0 + 2 * HOUR)
          expect(await kc.expireDue()).toBe(0)
          clock.set(T0 + 3 * HOUR)
          expect(await kc.expireDue()).toBe(1)
          expect(await kc.expireDue()).toBe(0)
          expect(await raw.zrange(`${p}{due}:expiry`, 0, -1)).toEqual([])
        } finally {
          await removeAll(raw, p)
        }
      })
    })
    roundTripExtras(topology)(context)
    decoyExtras(topology)(context)
    channelExtras(topology)(context)
    revocationExtras(topology)(context)
    outboxExtras(topology)(context)
    giveBackExtras()(context)
    if (topology === 'standalone') describeFaults()
  }
}

/**
 * A TCP proxy in front of Redis that, once armed, lets the next EVAL/EVALSHA through and then
 * cuts the connection as the reply comes back: the script ran, the client never heard.
 */
async function cuttingProxy(target: URL) {
  let armed = false
  let cut = 0
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port || 6379), target.hostname)
    sockets.add(client).add(upstream)
    let cutNextReply = false
    client.on('data', (chunk) => {
      if (armed && /EVAL/i.test(chunk.toString('latin1'))) {
        armed = false
        cutNextReply = true
      }
      upstream.write(chunk)
    })
    upstream.on('data', (chunk) => {
      if (!cutNextReply) return void client.write(chunk)
      cut++
      client.destroy()
      upstream.destroy()
    })
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      a.on('error', () => b.destroy())
      a.on('close', () => b.destroy())
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    arm: () => {
      armed = true
    },
    cuts: () => cut,
    close: () => {
      for (const s of sockets) s.destroy()
      return new Promise((resolve) => server.close(resolve))
    },
  }
}

function describeFaults(): void {
  describe('faults', () => {
    const cleanups: (() => unknown)[] = []
    const prefixes: string[] = []
    const prefix = () => {
      prefixes.push(randomPrefix())
      return prefixes.at(-1)!
    }
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
      const raw = new Redis(REDIS_URL)
      for (const p of prefixes.splice(0)) await removeAll(raw, p)
      raw.disconnect()
    })

    it('commits a rotation exactly once when the connection dies between the script and its reply', async () => {
      const proxy = await cuttingProxy(new URL(REDIS_URL))
      const client = new Redis({ host: '127.0.0.1', port: proxy.port, retryStrategy: () => 20 })
      cleanups.push(
        () => proxy.close(),
        () => client.disconnect(),
      )
      const kc = createKeycycle({
        store: redisStore(client, { prefix: prefix(), commandTimeoutMs: 3000 }),
        clock: manualClock(),
      })
      const created = await kc.createOrganisation()
      for (let round = 0; round < 5; round++) {
        const before = await kc.as(ADMIN).getKey(created.key.id)
        proxy.arm()
        const rotated = await kc.as(ADMIN).rotateKey(created.key.id, { force: true })
        expect(proxy.cuts()).toBe(round + 1)
        expect(rotated.key.version).toBe(before.version + 1)
        expect((await kc.as(ADMIN).getKey(created.key.id)).version).toBe(before.version + 1)
        expect(await kc.verify(rotated.token)).toMatchObject({ ok: true })
      }
    })

    it('fails with unavailable within the deadline when Redis is down, and never says valid', async () => {
      const port = await freePort()
      const server: ChildProcess = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      )
      cleanups.push(() => server.kill('SIGKILL'))
      const client = new Redis({ port, host: '127.0.0.1', retryStrategy: () => 50 })
      client.on('error', () => {}) // refused reconnects are the point of this test
      cleanups.push(() => client.disconnect())
      if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve))
      // The service owns the deadline: every call it makes carries now + storeTimeoutMs.
      const kc = createKeycycle({ store: redisStore(client), storeTimeoutMs: 300 })
      const created = await kc.createOrganisation()
      expect((await kc.verify(created.token)).ok).toBe(true)

      server.kill('SIGKILL')
      await new Promise((resolve) => server.once('exit', resolve))
      for (let attempt = 0; attempt < 3; attempt++) {
        const started = performance.now()
        const outcome = await kc.verify(created.token).catch((e: unknown) => e)
        const elapsed = performance.now() - started
        expect(outcome).toBeInstanceOf(KeycycleError)
        expect(outcome).toMatchObject({ code: 'unavailable' })
        expect(elapsed).toBeLessThan(300 + 250)
      }
    })

    it('fails at once, without waiting for the deadline, on a client that has ended', async () => {
      const client = new Redis(REDIS_URL)
      const kc = createKeycycle({
        store: redisStore(client, { prefix: prefix(), commandTimeoutMs: 5000 }),
      })
      const created = await kc.createOrganisation()
      await client.quit()
      const started = performance.now()
      await expect(kc.verify(created.token)).rejects.toMatchObject({ code: 'unavailable' })
      expect(performance.now() - started).toBeLessThan(100)
    })

    it('recovers on its own when the script cache is flushed', async () => {
      const client = new Redis(REDIS_URL)
      cleanups.push(() => client.disconnect())
      const kc = createKeycycle({ store: redisStore(client, { prefix: prefix() }) })
      const created = await kc.createOrganisation()
      await client.script('FLUSH')
      const rotated = await kc.as(ADMIN).rotateKey(created.key.id, { force: true })
      expect(await kc.verify(rotated.token)).toMatchObject({ ok: true })
    })
  })
}
