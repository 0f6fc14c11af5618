import { describe, expect, it, vi } from 'vitest'
import { memoryStore } from '../../adapters/memory'
import { createKeycycle, KeycycleError, type KeycycleEvent } from '../../src'
import type { KeyStore } from '../../src/store'
import { manualClock } from '../helpers/clock'
import { countingStore } from '../helpers/counting-store'
import { ADMIN } from '../helpers/setup'

const A = { id: 'a', secret: 'pepper-a-sixteen-bytes-or-more' }
const B = { id: 'b', secret: 'pepper-b-sixteen-bytes-or-more' }

describe('last used', () => {
  it('makes no store write on verification, then one write per key at the flush', async () => {
    const store = countingStore(memoryStore())
    const clock = manualClock()
    const kc = createKeycycle({ store, clock, lastUsedFlushMs: 0 })
    const one = await kc.createOrganisation()
    const two = await kc.createOrganisation()
    const before = store.writes()
    for (let i = 0; i < 50; i++) {
      clock.advance(1)
      expect((await kc.verify(one.token)).ok).toBe(true)
      expect((await kc.verify(two.token)).ok).toBe(true)
    }
    expect(store.writes()).toEqual(before)
    await kc.flushUsage()
    expect(store.writes()).toEqual({ ...before, updateKey: (before.updateKey ?? 0) + 2 })
    const key = await kc.as(ADMIN).getKey(one.key.id)
    expect(key.primary.lastUsedAt).toBe(clock.now())
    await kc.flushUsage() // nothing pending: no write
    expect(store.writes().updateKey).toBe((before.updateKey ?? 0) + 2)
  })

  it('keeps the latest time when two instances verify and flush, whatever the order', async () => {
    const store = memoryStore()
    const early = createKeycycle({
      store,
      clock: manualClock(2_000_000_000_000),
      lastUsedFlushMs: 0,
    })
    const late = createKeycycle({
      store,
      clock: manualClock(2_000_000_000_500),
      lastUsedFlushMs: 0,
    })
    const { key, token } = await early.createOrganisation()
    await late.verify(token)
    await early.verify(token)
    await late.flushUsage()
    await early.flushUsage()
    expect((await early.as(ADMIN).getKey(key.id)).primary.lastUsedAt).toBe(2_000_000_000_500)
  })

  it('flushes on close, and writes on a timer on its own', async () => {
    // Only intervals are faked: the flush timer is one, so it fires when the test advances it,
    // while store deadlines keep their real timers.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    try {
      const inner = memoryStore()
      let flushed = () => {}
      const written = new Promise<void>((resolve) => {
        flushed = resolve
      })
      // The flush's compare-and-set is the only updateKey here: awaited, not polled for.
      const store: KeyStore = {
        ...inner,
        updateKey: async (...args) => {
          const done = await inner.updateKey(...args)
          flushed()
          return done
        },
      }
      const kc = createKeycycle({ store, lastUsedFlushMs: 20 })
      const { key, token } = await kc.createOrganisation()
      await kc.verify(token)
      expect((await kc.as(ADMIN).getKey(key.id)).primary.lastUsedAt).toBeNull()
      vi.advanceTimersByTime(20)
      await written
      expect((await kc.as(ADMIN).getKey(key.id)).primary.lastUsedAt).not.toBeNull()
      const closing = createKeycycle({ store: inner, lastUsedFlushMs: 60_000 })
      const { key: other, token: otherToken } = await closing.createOrganisation()
      await closing.verify(otherToken)
      await closing.close()
      expect((await kc.as(ADMIN).getKey(other.id)).primary.lastUsedAt).not.toBeNull()
      await kc.close()
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('pepper rotation, end to end', () => {
  it('re-digests by use until the old pepper holds nothing, then works without it', async () => {
    const store = memoryStore()
    const clock = manualClock()
    const onA = createKeycycle({ store, clock, pepper: [A] })
    const created = await onA.createOrganisation()
    const second = await onA.asOrganisation(created.organisation.id).createKey()
    expect(await onA.pepperUsage()).toEqual({ a: 2 })

    const rotating = createKeycycle({ store, clock, pepper: [B, A], lastUsedFlushMs: 0 })
    expect((await rotating.verify(created.token)).ok).toBe(true)
    expect((await rotating.verify(second.token)).ok).toBe(true)
    const minted = await rotating.asOrganisation(created.organisation.id).createKey()
    expect(await rotating.pepperUsage()).toEqual({ a: 2, b: 1 })
    await rotating.flushUsage()
    expect(await rotating.pepperUsage()).toEqual({ b: 3 })

    const onB = createKeycycle({ store, clock, pepper: [B] })
    for (const token of [created.token, second.token, minted.token]) {
      expect((await onB.verify(token)).ok).toBe(true)
    }
  })

  it('refuses a token whose digest names a pepper no longer configured, like any other', async () => {
    const store = memoryStore()
    const onA = createKeycycle({ store, pepper: [A] })
    const { token } = await onA.createOrganisation()
    const onB = createKeycycle({ store, pepper: [B] })
    expect(await onB.verify(token)).toMatchObject({ ok: false, code: 'invalid' })
  })

  it('refuses bad pepper lists', () => {
    for (const pepper of [
      [],
      [{ id: 'A!', secret: A.secret }],
      [A, { ...B, id: 'a' }],
      [{ id: 'c', secret: 'short' }],
    ]) {
      expect(() => createKeycycle({ store: memoryStore(), pepper: pepper as never })).toThrow(
        KeycycleError,
      )
    }
  })
})

describe('deletion and the key limit through the service', () => {
  it('emits key.deleted without a token, and frees a place under maxKeysPerOrganisation', async () => {
    const events: KeycycleEvent[] = []
    const kc = createKeycycle({
      store: memoryStore(),
      maxKeysPerOrganisation: 2,
      onEvent: (event) => {
        events.push(event)
      },
    })
    const { organisation } = await kc.createOrganisation()
    const org = kc.asOrganisation(organisation.id)
    const { key } = await org.createKey()
    await expect(org.createKey()).rejects.toMatchObject({ code: 'limit' })
    await org.deleteKey(key.id)
    await kc.drainEvents()
    const deleted = events.find((e) => e.type === 'key.deleted')
    expect(deleted).toMatchObject({ type: 'key.deleted', key: { id: key.id } })
    expect(JSON.stringify(deleted)).not.toMatch(/kc_[0-9A-Z]{26}_/)
    await org.createKey()
  })

  it('refuses a bad maxKeysPerOrganisation', () => {
    for (const maxKeysPerOrganisation of [0, 1.5, -1]) {
      expect(() => createKeycycle({ store: memoryStore(), maxKeysPerOrganisation })).toThrow(
        KeycycleError,
      )
    }
  })
})
