import { KeycycleError } from '../core/errors'
import { MAX_METADATA_BYTES } from '../core/schema'
import type { Metadata } from '../core/types'
import { createKeycycle } from '../service/keycycle'
import type { KeycycleOptions } from '../service/options'
import type { KeyStore } from '../store'
import { ADMIN, HOUR, type ManualClock, manualClock } from './fixtures'
import type { StoreSuiteContext } from './suite-context'

const storeTimeoutMs = 30_000

// The error a call rejects with, or 'resolved': the suite's `expect` has no `.rejects`.
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => error,
  )
const PEPPER_A = { id: 'a', secret: 'pepper-a-sixteen-bytes-or-more' }
const PEPPER_B = { id: 'b', secret: 'pepper-b-sixteen-bytes-or-more' }

// The largest metadata object allowed: exactly MAX_METADATA_BYTES of UTF-8 JSON, with quotes,
// backslashes, and characters of 2, 3 and 4 bytes.
function largestMetadata(): Metadata {
  const base: Metadata = { quote: '"\\', umlaut: 'ü', han: '鍵', emoji: '🔑', n: 1.5, ok: true }
  const size = (value: Metadata) => new TextEncoder().encode(JSON.stringify(value)).length
  const pad = MAX_METADATA_BYTES - size({ ...base, pad: '' })
  return { ...base, pad: 'x'.repeat(pad) }
}

/** Metadata, last used, deletion, pepper rotation and the key limit, on the store (`docs/decisions.md#last-used-deletion-and-the-key-limit`, `#pepper-rotation`). */
export function capabilitiesSuite({ test, runner: { expect } }: StoreSuiteContext): void {
  const service = (
    store: KeyStore,
    options: Partial<Omit<KeycycleOptions, 'clock'>> & { clock?: ManualClock } = {},
  ) => {
    const clock = options.clock ?? manualClock()
    return { kc: createKeycycle({ store, clock, storeTimeoutMs, ...options }), clock }
  }

  test('round-trips metadata, up to the largest allowed object, through reads and verify', async ({
    store,
  }) => {
    const { kc } = service(store)
    const { organisation } = await kc.createOrganisation()
    const metadata = largestMetadata()
    expect(new TextEncoder().encode(JSON.stringify(metadata)).length).toBe(MAX_METADATA_BYTES)
    const org = kc.asOrganisation(organisation.id)
    const { key, token } = await org.createKey({ metadata })
    expect((await org.getKey(key.id)).metadata).toEqual(metadata)
    expect(await kc.verify(token)).toMatchObject({ ok: true, key: { metadata } })
    expect(
      await failure(org.updateKey(key.id, { metadata: { ...metadata, one: 'more' } })),
    ).toMatchObject({
      code: 'validation',
    })
    expect((await org.updateKey(key.id, { metadata: null })).metadata).toBeNull()
  })

  test('shows last used per slot after a flush, and never moves it backwards', async ({
    store,
    clients,
  }) => {
    const { kc, clock } = service(store, { lastUsedFlushMs: 0 })
    const created = await kc.createOrganisation()
    const admin = kc.as(ADMIN)
    expect((await admin.getKey(created.key.id)).primary.lastUsedAt).toBeNull()
    const t1 = clock.now() + 1000
    clock.set(t1)
    expect((await kc.verify(created.token)).ok).toBe(true)
    expect((await admin.getKey(created.key.id)).primary.lastUsedAt).toBeNull() // not yet flushed
    await kc.flushUsage()
    expect((await admin.getKey(created.key.id)).primary.lastUsedAt).toBe(t1)
    // Another instance whose use is older flushes later: the newer time stays.
    const other = createKeycycle({
      store: clients[clients.length - 1]!,
      clock: manualClock(t1 - 500),
      storeTimeoutMs,
      lastUsedFlushMs: 0,
    })
    expect((await other.verify(created.token)).ok).toBe(true)
    await other.close()
    expect((await admin.getKey(created.key.id)).primary.lastUsedAt).toBe(t1)
    // A rotation keeps the old token's last use on the retiring view.
    const rotated = await admin.rotateKey(created.key.id)
    expect(rotated.key.primary).toMatchObject({ lastUsedAt: null, retiringLastUsedAt: t1 })
    await kc.close()
  })

  test('makes a deleted key invisible to every read, list and verification', async ({
    store,
    dump,
  }) => {
    const { kc } = service(store)
    const { organisation, key: first } = await kc.createOrganisation()
    const org = kc.asOrganisation(organisation.id)
    const { key, token } = await org.createKey({ name: 'to delete' })
    const stored = (await store.getKeyWithOrganisation(key.id))!.key.primary.digest
    const deleted = await org.deleteKey(key.id)
    expect(deleted.id).toBe(key.id)
    expect(await kc.verify(token)).toMatchObject({ ok: false, code: 'not_found' })
    expect(await failure(org.getKey(key.id))).toMatchObject({ code: 'not_found' })
    expect((await org.listKeys()).data.map((k) => k.id)).toEqual([first.id])
    expect(await failure(org.deleteKey(key.id))).toMatchObject({ code: 'not_found' })
    expect(await dump()).not.toContain(stored)
    // The last active standard key is guarded like deactivation.
    expect(await failure(org.deleteKey(first.id))).toMatchObject({ code: 'lockout' })
    expect((await org.getKey(first.id)).state).toBe('active')
  })

  test('migrates digests to a new pepper by use, and reports what each pepper still holds', async ({
    store,
  }) => {
    const clock = manualClock()
    const before = service(store, { clock, pepper: [PEPPER_A] }).kc
    const { organisation, token } = await before.createOrganisation()
    const { token: unused } = await before.asOrganisation(organisation.id).createKey()
    const both = service(store, { clock, pepper: [PEPPER_B, PEPPER_A], lastUsedFlushMs: 0 }).kc
    const usage = async () => {
      const all = await both.pepperUsage()
      return { a: all.a ?? 0, b: all.b ?? 0 }
    }
    const startA = (await usage()).a
    expect(startA).toBeGreaterThanOrEqual(2)
    expect(await both.verify(token)).toMatchObject({ ok: true })
    await both.flushUsage()
    expect(await usage()).toMatchObject({ a: startA - 1 })
    // Only the current pepper is left for that key: it keeps working without pepper A.
    const after = service(store, { clock, pepper: [PEPPER_B] }).kc
    expect(await after.verify(token)).toMatchObject({ ok: true })
    // A digest under a pepper no longer configured is `invalid`, like any wrong secret.
    expect(await after.verify(unused)).toMatchObject({ ok: false, code: 'invalid' })
    // From no pepper to a pepper works the same way.
    const plain = service(store, { clock }).kc
    const fromPlain = await plain.createOrganisation()
    const peppered = service(store, { clock, pepper: [PEPPER_B], lastUsedFlushMs: 0 }).kc
    expect(await peppered.verify(fromPlain.token)).toMatchObject({ ok: true })
    await peppered.flushUsage()
    const key = (await store.getKeyWithOrganisation(fromPlain.key.id))!.key
    expect(key.primary.digest.startsWith('b$')).toBe(true)
    clock.advance(HOUR)
  })

  test('lets exactly one of two creates racing for the last place win (maxKeysPerOrganisation)', async ({
    clients,
  }) => {
    const clock = manualClock()
    const [a, b] = [0, 1].map((i) =>
      createKeycycle({
        store: clients[i % clients.length]!,
        clock,
        storeTimeoutMs,
        maxKeysPerOrganisation: 3,
      }),
    )
    for (let round = 0; round < 3; round++) {
      const { organisation } = await a!.createOrganisation()
      await a!.asOrganisation(organisation.id).createKey()
      const results = await Promise.allSettled([
        a!.asOrganisation(organisation.id).createKey(),
        b!.asOrganisation(organisation.id).createKey(),
      ])
      const won = results.filter((r) => r.status === 'fulfilled')
      const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))
      expect(won).toHaveLength(1)
      expect(refused).toHaveLength(1)
      expect(refused[0]).toBeInstanceOf(KeycycleError)
      expect(refused[0]).toMatchObject({ code: 'limit' })
      expect((await a!.asOrganisation(organisation.id).listKeys()).data).toHaveLength(3)
    }
  })
}
