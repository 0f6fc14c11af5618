import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../adapters/memory'
import { createKeycycle, type Keycycle, KeycycleError } from '../../src'
import type { ChangeFeed, KeyStore } from '../../src/store'
import { manualClock } from '../helpers/clock'
import { countingStore } from '../helpers/counting-store'
import { ADMIN } from '../helpers/setup'

const BOUND = 1000
const cache = { maxStalenessMs: BOUND, maxEntries: 1000 }

/** Two instances over one store, each with its own cache, sharing one clock. */
function fleet(store: KeyStore) {
  const clock = manualClock()
  const make = () => createKeycycle({ store, clock, cache })
  return { a: make(), b: make(), clock }
}

// The memory store without its change channel: the bound is then maxStalenessMs alone.
function withoutChannel(store: KeyStore): KeyStore {
  const { watch: _watch, ...rest } = store
  return rest
}

type Revocation = [string, (kc: Keycycle, keyId: string) => Promise<unknown>]
const REVOCATIONS: Revocation[] = [
  ['deactivate', (kc, id) => kc.as(ADMIN).deactivateKey(id)],
  ['block', (kc, id) => kc.as(ADMIN).blockKey(id)],
  ['forced rotation', (kc, id) => kc.as(ADMIN).rotateKey(id, { force: true })],
  ['regeneration', (kc, id) => kc.as(ADMIN).regenerateKey(id, 'primary')],
  ['deletion', (kc, id) => kc.as(ADMIN).deleteKey(id)],
]

describe('verification cache', () => {
  it('answers a hot key with no store round trip, and says how old its data is', async () => {
    const store = countingStore(memoryStore())
    const { a, clock } = fleet(store)
    const { token } = await a.createOrganisation()
    const first = await a.verify(token)
    const calls = store.calls()
    clock.advance(400)
    const second = await a.verify(token)
    expect(store.calls()).toBe(calls)
    expect(second).toMatchObject({ ok: true, checkedAt: first.checkedAt })
    await a.close()
  })

  describe.each(REVOCATIONS)('after a %s on instance A', (_name, revoke) => {
    it('refuses the old token on A at once and on B at once through the channel', async () => {
      const { a, b } = fleet(memoryStore())
      const { key, token } = await a.createOrganisation()
      await a.as(ADMIN).createKey({ organisation: key.organisation }) // keeps a standard key active
      expect(await b.verify(token)).toMatchObject({ ok: true })
      await revoke(a, key.id)
      expect(await a.verify(token)).toMatchObject({ ok: false })
      expect(await b.verify(token)).toMatchObject({ ok: false })
      await Promise.all([a.close(), b.close()])
    })

    it('without a channel, refuses on B once the bound has passed, never later', async () => {
      const { a, b, clock } = fleet(withoutChannel(memoryStore()))
      const { key, token } = await a.createOrganisation()
      await a.as(ADMIN).createKey({ organisation: key.organisation })
      expect(await b.verify(token)).toMatchObject({ ok: true })
      await revoke(a, key.id)
      expect(await a.verify(token)).toMatchObject({ ok: false })
      clock.advance(BOUND - 1)
      expect(await b.verify(token)).toMatchObject({ ok: true }) // stale, within the bound
      clock.advance(1)
      expect(await b.verify(token)).toMatchObject({ ok: false })
    })
  })

  it('holds an expiry moved earlier on every instance at the new instant', async () => {
    const { a, b, clock } = fleet(memoryStore())
    const { key, token } = await a.createOrganisation()
    expect(await b.verify(token)).toMatchObject({ ok: true })
    await a.as(ADMIN).updateKey(key.id, { expiresAt: clock.now() + 10 })
    clock.advance(10)
    expect(await a.verify(token)).toMatchObject({ ok: false, code: 'expired' })
    expect(await b.verify(token)).toMatchObject({ ok: false, code: 'expired' })
  })

  it('never lets a fill that raced a revocation bring the key back', async () => {
    const inner = memoryStore()
    let gate: (() => void) | null = null
    let reading: (() => void) | null = null
    const readStarted = new Promise<void>((resolve) => {
      reading = resolve
    })
    // B's reads can be held between the store answering and B filling its cache.
    const slow: KeyStore = {
      ...inner,
      watch: inner.watch!.bind(inner),
      async getKeyWithOrganisation(id) {
        const found = await inner.getKeyWithOrganisation(id)
        if (gate === null) {
          reading!()
          await new Promise<void>((resolve) => {
            gate = resolve
          })
        }
        return found
      },
    }
    const clock = manualClock()
    const a = createKeycycle({ store: inner, clock, cache })
    const b = createKeycycle({ store: slow, clock, cache })
    const { key, token } = await a.createOrganisation()
    await a.as(ADMIN).createKey({ organisation: key.organisation })
    // 1. B reads the active key, and is held before filling.
    const racing = b.verify(token)
    await readStarted
    // 2. A deactivates it; the change reaches B's cache while B's read is in flight.
    await a.as(ADMIN).deactivateKey(key.id)
    // 3. B's read completes with the record from before the revocation.
    ;(gate as unknown as () => void)()
    expect(await racing).toMatchObject({ ok: true }) // as any uncached read at that instant
    // 4. That stale record was not cached: the next verification reads again and refuses.
    expect(await b.verify(token)).toMatchObject({ ok: false, code: 'deactivated' })
    await Promise.all([a.close(), b.close()])
  })

  it('fails closed once the bound has passed with the channel cut and the store unreachable', async () => {
    const inner = memoryStore()
    let feed: ChangeFeed | null = null
    let reachable = true
    const flaky: KeyStore = {
      ...inner,
      async getKeyWithOrganisation(id) {
        if (!reachable) throw new Error('connection refused')
        return inner.getKeyWithOrganisation(id)
      },
      async watch(f) {
        feed = f
        f.live()
        return { close: async () => {} }
      },
    }
    const clock = manualClock()
    const b = createKeycycle({ store: flaky, clock, cache, storeTimeoutMs: 200 })
    const { token } = await b.createOrganisation()
    const read = await b.verify(token)
    expect(read).toMatchObject({ ok: true })
    // The channel drops and the store goes away: the entry answers until the bound, no longer.
    feed!.gap()
    reachable = false
    clock.advance(BOUND - 1)
    expect(await b.verify(token)).toMatchObject({ ok: true, checkedAt: read.checkedAt })
    clock.advance(1)
    await expect(b.verify(token)).rejects.toMatchObject({ code: 'unavailable' })
    // A live channel does not stretch the bound either: a message it lost unnoticed must not
    // keep an entry alive.
    reachable = true
    feed!.live()
    const again = await b.verify(token)
    reachable = false
    clock.advance(BOUND)
    feed!.live()
    await expect(b.verify(token)).rejects.toMatchObject({ code: 'unavailable' })
    expect(again.ok).toBe(true)
  })

  it('stops the channel subscription on close', async () => {
    const inner = memoryStore()
    let closed = 0
    const store: KeyStore = {
      ...inner,
      async watch(feed, options) {
        const subscription = await inner.watch!(feed, options)
        return {
          close: async () => {
            closed++
            await subscription.close()
          },
        }
      },
    }
    const kc = createKeycycle({ store, cache })
    await kc.close()
    await kc.close()
    expect(closed).toBe(1)
  })

  it('refuses bad cache options', () => {
    for (const bad of [
      { maxStalenessMs: -1, maxEntries: 1 },
      { maxStalenessMs: 1, maxEntries: 0 },
    ]) {
      expect(() => createKeycycle({ store: memoryStore(), cache: bad })).toThrow(KeycycleError)
    }
  })
})
