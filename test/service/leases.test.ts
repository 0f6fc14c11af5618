import { afterEach, describe, expect, it, vi } from 'vitest'
import { memoryStore } from '../../adapters/memory'
import { createKeycycle, KeycycleError } from '../../src'
import { HOUR, manualClock } from '../helpers/clock'
import { ADMIN } from '../helpers/setup'

const cache = { maxStalenessMs: 60_000, maxEntries: 100 }

// One leased instance and one exact reader over one store: the reader shows the store's balance.
async function setup(leaseTtlMs = 1000) {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
  const store = memoryStore()
  const clock = manualClock()
  const leased = createKeycycle({
    store,
    clock,
    cache,
    usage: { mode: 'leased', leaseUnits: 5, leaseTtlMs },
  })
  const reader = createKeycycle({ store, clock })
  const created = await reader.createOrganisation()
  await reader.as(ADMIN).updateKey(created.key.id, {
    credits: { remaining: 100, refill: { amount: 100, intervalMs: HOUR } },
  })
  const stored = async () => (await reader.as(ADMIN).getKey(created.key.id)).credits?.remaining
  return { leased, reader, clock, created, stored }
}

describe('leased usage', () => {
  afterEach(() => vi.useRealTimers())

  it('takes a lease with the first spend and spends it with no store write', async () => {
    const { leased, created, stored } = await setup()
    expect(await leased.verify(created.token)).toMatchObject({
      credits: { remaining: 99 },
      usageAccuracy: { mode: 'leased', leaseUnits: 5 },
    })
    expect(await stored()).toBe(94)
    for (let i = 0; i < 5; i++) await leased.verify(created.token)
    expect(await stored()).toBe(94)
    expect(await leased.verify(created.token)).toMatchObject({ credits: { remaining: 93 } })
    expect(await stored()).toBe(88)
  })

  it('gives an unused lease back once its ttl has passed', async () => {
    const { leased, clock, created, stored } = await setup()
    await leased.verify(created.token)
    expect(await stored()).toBe(94)
    clock.advance(999)
    vi.advanceTimersByTime(1000)
    await vi.waitFor(async () => expect(await stored()).toBe(94))
    clock.advance(1)
    vi.advanceTimersByTime(1000)
    await vi.waitFor(async () => expect(await stored()).toBe(99))
    await leased.close()
  })

  it('gives a lease back on close, and to a rotated key (counters belong to the key ID)', async () => {
    const { leased, reader, created, stored } = await setup()
    await leased.verify(created.token)
    await reader.as(ADMIN).rotateKey(created.key.id, {})
    await leased.close()
    expect(await stored()).toBe(99)
  })

  it('gives no credits back to a balance an admin set since, nor across a refill', async () => {
    const { leased, reader, created, stored } = await setup(10 * HOUR)
    await leased.verify(created.token)
    await reader.as(ADMIN).updateKey(created.key.id, { credits: { remaining: 7 } })
    await leased.close()
    expect(await stored()).toBe(7)

    const again = await setup(10 * HOUR)
    await again.leased.verify(again.created.token)
    again.clock.advance(HOUR)
    await again.leased.close()
    expect(await again.stored()).toBe(100)
  })

  it('needs the cache, and lease options need leased mode', () => {
    const store = memoryStore()
    expect(() => createKeycycle({ store, usage: { mode: 'leased' } })).toThrow(KeycycleError)
    expect(() => createKeycycle({ store, cache, usage: { leaseUnits: 5 } })).toThrow(/usage\.mode/)
  })
})
