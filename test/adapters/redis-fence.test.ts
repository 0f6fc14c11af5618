import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Redis } from 'ioredis'
import { afterEach, describe, expect, it } from 'vitest'
import { redisStore } from '../../adapters/redis'
import { serverClock } from '../../adapters/redis/server-clock'
import { createKeycycle, KeycycleError } from '../../src'
import { ADMIN, DAY, keyRecord, T0 } from '../../src/conformance'
import type { KeyStore, OutboxEvent } from '../../src/store'
import { shouldRun } from '../helpers/should-run'
import { until } from '../helpers/until'
import {
  type Client,
  connect,
  randomPrefix,
  redisReachable,
  removeAll,
  type Topology,
} from './redis-harness'
import { startRedisServer } from './redis-server'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

// A write script names its request marker (`…:req:<uuid>`) among its keys; reads never do.
const isWrite = (args: unknown[]) => args.some((a) => typeof a === 'string' && a.includes(':req:'))

/**
 * The client as the store sees it, with a hook before each write script is sent and the
 * script's reply recorded, whenever it comes (after the store has answered, if late).
 */
function intercepted(client: Client, beforeWrite: () => Promise<void> | void) {
  const replies: unknown[] = []
  const proxy = new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target)
      if (typeof value !== 'function') return value
      if (property !== 'evalsha' && property !== 'eval') return value.bind(target)
      return async (...args: unknown[]) => {
        if (isWrite(args)) await beforeWrite()
        const reply = await value.apply(target, args)
        if (isWrite(args)) replies.push(reply)
        return reply
      }
    },
  })
  return { client: proxy, replies }
}

/** Every event the store would hand out now or later, by its body's type. */
async function recordedTypes(store: KeyStore): Promise<string[]> {
  const now = Date.now() + 365 * DAY
  const claimed = await store.claimEvents({
    owner: 'probe',
    now,
    leaseUntil: now + 1,
    limit: 1000,
  })
  return claimed.map((e) => (JSON.parse(e.body) as { type: string }).type)
}

describe('fenced writes on a paused server (standalone)', () => {
  const cleanups: (() => unknown)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  it('answers unavailable, and the script, applied when the server resumes, changes nothing', async () => {
    const server = await startRedisServer()
    cleanups.push(() => server.stop())
    cleanups.push(() => server.process.kill('SIGCONT'))
    const raw = new Redis({ port: server.port, host: '127.0.0.1', retryStrategy: () => 50 })
    raw.on('error', () => {})
    cleanups.push(() => raw.disconnect())
    let pauseNextWrite = false
    const { client, replies } = intercepted(raw, () => {
      if (!pauseNextWrite) return
      pauseNextWrite = false
      server.process.kill('SIGSTOP')
    })
    const store = redisStore(client, { prefix: 'fence:' })
    const kc = createKeycycle({ store, storeTimeoutMs: 300, recordEvents: true })
    const created = await kc.createOrganisation()
    const id = created.key.id
    const before = await kc.as(ADMIN).getKey(id)
    replies.length = 0

    const loop = monitorEventLoopDelay({ resolution: 5 })
    loop.enable()
    pauseNextWrite = true
    const started = performance.now()
    const outcome = await kc
      .as(ADMIN)
      .regenerateKey(id, 'primary')
      .catch((e: unknown) => e)
    const answeredMs = performance.now() - started
    expect(outcome).toBeInstanceOf(KeycycleError)
    expect((outcome as KeycycleError).code).toBe('unavailable')
    expect(answeredMs).toBeLessThan(300 + 1000)
    expect(replies).toEqual([]) // the server is still paused: the script waits in its socket

    await sleep(200)
    server.process.kill('SIGCONT')
    // The script runs now, well past its fence, and refuses: -1.
    expect(await until(() => replies.length > 0, 5000)).toBe(true)
    expect(replies).toEqual([-1])
    await sleep(300)
    loop.disable()

    expect(await kc.verify(created.token)).toMatchObject({ ok: true })
    expect((await kc.as(ADMIN).getKey(id)).version).toBe(before.version)
    const types = await recordedTypes(store)
    expect(types).toContain('key.created')
    expect(types).not.toContain('key.regenerated')
    expect(loop.max / 1e6).toBeLessThan(50)
    console.info(
      `fence: unavailable after ${Math.round(answeredMs)} ms (storeTimeoutMs 300); ` +
        `event loop delay max ${(loop.max / 1e6).toFixed(1)} ms`,
    )
    await kc.close()
  })
})

const topologies: Topology[] = []
for (const topology of ['standalone', 'cluster'] as const) {
  if (await shouldRun(`Redis ${topology}`, () => redisReachable(topology))) {
    topologies.push(topology)
  }
}

describe.each(topologies)('fences (%s)', (topology) => {
  const cleanups: (() => unknown)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })

  const open = () => {
    const raw = connect(topology)
    const prefix = randomPrefix()
    cleanups.push(async () => {
      await removeAll(raw, prefix)
      raw.disconnect()
    })
    return { raw, prefix }
  }

  it('refuses a script that reaches Redis past its fence: no record change, no event', async () => {
    const { raw, prefix } = open()
    let delayMs = 0
    const { client, replies } = intercepted(raw, () => sleep(delayMs))
    const store = redisStore(client, { prefix })
    const record = keyRecord()
    expect(await store.insertKey(record, { deadline: Date.now() + 1000 })).toBe(true)
    replies.length = 0

    delayMs = 200
    const event: OutboxEvent = {
      id: 'evt_late',
      subject: { kind: 'key', id: record.id },
      stream: record.id,
      seq: record.version + 1,
      availableAt: T0,
      body: '{"type":"key.updated"}',
    }
    const next = { ...record, version: record.version + 1, name: 'late' }
    const started = performance.now()
    await expect(
      store.updateKey(next, record.version, { deadline: Date.now() + 50, events: [event] }),
    ).rejects.toMatchObject({ code: 'unavailable' })
    expect(performance.now() - started).toBeLessThan(50 + 100 + 50)
    expect(await until(() => replies.length > 0)).toBe(true)
    expect(replies).toEqual([-1])
    expect(await raw.hget(`${prefix}{${record.id}}:key`, 'version')).toBe(String(record.version))
    expect(await recordedTypes(store)).toEqual([])
  })

  it('refuses at once, sending nothing, a write whose deadline has passed', async () => {
    const { raw, prefix } = open()
    const { client, replies } = intercepted(raw, () => {})
    const store = redisStore(client, { prefix })
    await expect(store.insertKey(keyRecord(), { deadline: Date.now() - 1 })).rejects.toMatchObject({
      code: 'unavailable',
    })
    expect(replies).toEqual([])
  })

  it('measures the server clock: the truth (one host, one clock) lies within the bound', async () => {
    const { raw } = open()
    const clock = serverClock(raw, { refreshMs: 10_000, timeoutMs: 1000 })
    const deadline = Date.now() + 300
    const fence = await clock.fence(deadline)
    const readings = Object.entries(clock.readings())
    expect(readings.length).toBe(topology === 'standalone' ? 1 : 3)
    for (const [node, r] of readings) {
      expect(Math.abs(r.offsetMs), node).toBeLessThanOrEqual(r.uncertaintyMs)
      expect(r.uncertaintyMs, node).toBeLessThan(10)
      console.info(
        `server clock ${topology} ${node}: offset ${r.offsetMs.toFixed(3)} ms ± ${r.uncertaintyMs.toFixed(3)} ms`,
      )
    }
    expect(fence).toBeLessThanOrEqual(deadline)
    expect(fence).toBeGreaterThan(deadline - 10)
  })
})
