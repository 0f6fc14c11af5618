import { stateFilter } from '../core/filters'
import { newId } from '../core/ids'
import { newOrganisation } from '../core/organisations'
import type { KeyRecord, Organisation } from '../core/types'
import type { KeyStore } from '../store'
import { ADMIN, fakeDigest, keyRecord, randomBytes, T0 } from './fixtures'
import type { Expect } from './runner'
import type { StoreSuiteContext } from './suite-context'

/** An organisation with `count` keys created 1 ms apart, so their IDs sort by creation. */
async function seed(
  expect: Expect,
  store: KeyStore,
  count: number,
  over: (i: number) => Partial<KeyRecord> = () => ({}),
) {
  const organisation = newOrganisation({}, newId('org', T0, randomBytes(16)), ADMIN, T0)
  const keys = Array.from({ length: count }, (_, i) =>
    keyRecord({
      organisation: organisation.id,
      id: newId('key', T0 + i, randomBytes(16)),
      ...over(i),
    }),
  )
  expect(await store.insertOrganisation(organisation, keys[0]!)).toBe(true)
  for (const key of keys.slice(1)) expect(await store.insertKey(key)).toBe(true)
  return { organisation, keys }
}

function bumped(record: KeyRecord, over: Partial<KeyRecord> = {}): KeyRecord {
  return { ...record, ...over, version: record.version + 1, modifiedAt: record.modifiedAt + 1 }
}

/** The KeyStore contract itself, with records built by the core. */
export function portSuite({ test, runner: { expect } }: StoreSuiteContext): void {
  test('round-trips every field exactly, and the raw data holds what was written', async ({
    store,
    dump,
  }) => {
    const organisation: Organisation = {
      ...newOrganisation(
        { storageConfig: 2, webhookConfig: '2', config: { publishSourceFiles: true } },
        newId('org', T0, randomBytes(16)),
        ADMIN,
        T0,
      ),
      rateLimits: [{ name: 'org-default', limit: 20, windowMs: 1000, scope: 'organisation' }],
      allowedIps: ['192.0.2.0/24'],
    }
    const full = keyRecord({
      organisation: organisation.id,
      type: 'trial',
      name: 'Schlüssel 열쇠 "quoted"',
      description: 'line one\nline two',
      config: { publishSourceFiles: false },
      storageConfig: 'eu-west-distinct',
      webhookConfig: Number.MAX_SAFE_INTEGER,
      permissions: ['reports:read', 'exports/*'],
      expiresAt: 8_640_000_000_000_000,
      metadata: { plan: 'pro', limits: { rps: 50 }, tags: ['a', 'ü'], on: true, none: null },
      rateLimits: [
        { name: 'burst', limit: 10, windowMs: 1000, scope: 'key' },
        { name: 'org-default', limit: 20, windowMs: 1000, scope: 'organisation' },
      ],
      credits: {
        remaining: 1000,
        refill: { amount: 1000, intervalMs: 86_400_000 },
        generation: 1,
        refillFrom: T0,
      },
      allowedIps: ['10.0.0.0/8', '2001:db8::/32'],
      secondary: {
        ...fakeDigest(),
        rotatedAt: T0 + 5,
        lastUsedAt: T0 + 6,
        retiring: { ...fakeDigest(), until: T0 + 99, lastUsedAt: T0 + 4 },
      },
    })
    full.primary.lastUsedAt = T0 + 8
    full.primary.retiring = { ...fakeDigest(), until: T0 + 7, lastUsedAt: null }
    expect(await store.insertOrganisation(organisation, full)).toBe(true)
    expect(await store.getKeyWithOrganisation(full.id)).toEqual({ key: full, organisation })
    const bare = keyRecord({ organisation: organisation.id })
    expect(await store.insertKey(bare)).toBe(true)
    expect((await store.getKeyWithOrganisation(bare.id))?.key).toEqual(bare)

    const raw = await dump()
    for (const value of [
      full.primary.digest,
      full.primary.retiring!.digest,
      full.secondary!.retiring!.digest,
      'eu-west-distinct',
      'reports:read',
      'burst',
      '2001:db8::/32',
      '192.0.2.0/24',
    ]) {
      expect(raw).toContain(value)
    }
  })

  test('answers null for what does not exist', async ({ store }) => {
    expect(await store.getKeyWithOrganisation(newId('key', T0, randomBytes(16)))).toBeNull()
    expect(await store.getOrganisation(newId('org', T0, randomBytes(16)))).toBeNull()
    // Right beside stored keys too: older, between, one character off, newer.
    const { keys } = await seed(expect, store, 2)
    const [a, b] = keys.map((k) => k.id).sort() as [string, string]
    const near = [
      newId('key', T0 - 1, randomBytes(16)),
      `${a.slice(0, -1)}${a.endsWith('Z') ? 'Y' : 'Z'}`,
      `${b.slice(0, -1)}${b.endsWith('0') ? '1' : '0'}`,
      newId('key', T0 + 86_400_000, randomBytes(16)),
    ]
    for (const id of near) {
      if (id !== a && id !== b) expect(await store.getKeyWithOrganisation(id)).toBeNull()
    }
    expect((await store.getKeyWithOrganisation(b))?.key.id).toBe(b)
  })

  test('refuses duplicate IDs without writing', async ({ store }) => {
    const { organisation, keys } = await seed(expect, store, 1)
    const first = keys[0]!
    expect(await store.insertKey({ ...first, name: 'impostor' })).toBe(false)
    expect(
      await store.insertOrganisation(
        { ...organisation, storageConfig: 99 },
        keyRecord({ organisation: organisation.id }),
      ),
    ).toBe(false)
    expect(await store.getKeyWithOrganisation(first.id)).toEqual({ key: first, organisation })
  })

  test('updates by compare-and-set on version', async ({ store }) => {
    const { keys, organisation } = await seed(expect, store, 1)
    const key = keys[0]!
    expect(await store.updateKey(bumped(key, { name: 'stale' }), key.version + 1)).toBe(false)
    const next = bumped(key, {
      state: 'deactivated',
      secondary: { ...fakeDigest(), rotatedAt: T0, lastUsedAt: null, retiring: null },
    })
    expect(await store.updateKey(next, key.version)).toBe(true)
    expect(await store.updateKey(bumped(key, { name: 'lost' }), key.version)).toBe(false)
    expect((await store.getKeyWithOrganisation(key.id))?.key).toEqual(next)

    const orgNext = { ...organisation, webhookConfig: 5, version: organisation.version + 1 }
    expect(
      await store.updateOrganisation({ ...orgNext, webhookConfig: 6 }, organisation.version + 1),
    ).toBe(false)
    expect(await store.updateOrganisation(orgNext, organisation.version)).toBe(true)
    expect(await store.getOrganisation(organisation.id)).toEqual(orgNext)
  })

  test('lets exactly one of many concurrent writers at the same version win', async ({
    store,
    clients,
  }) => {
    const { keys, organisation } = await seed(expect, store, 1)
    const key = keys[0]!
    const writers = Array.from({ length: 24 }, (_, i) => clients[i % clients.length]!)
    const keyWins = await Promise.all(
      writers.map((c, i) => c.updateKey(bumped(key, { name: `w${i}` }), key.version)),
    )
    expect(keyWins.filter(Boolean)).toHaveLength(1)
    const winner = keyWins.indexOf(true)
    expect((await store.getKeyWithOrganisation(key.id))?.key.name).toBe(`w${winner}`)

    const orgWins = await Promise.all(
      writers.map((c, i) =>
        c.updateOrganisation({ ...organisation, storageConfig: i, version: 2 }, 1),
      ),
    )
    expect(orgWins.filter(Boolean)).toHaveLength(1)
    expect((await store.getOrganisation(organisation.id))?.storageConfig).toBe(
      orgWins.indexOf(true),
    )
  })

  test('lists one organisation by ID in both orders, with exclusive bounds and a limit', async ({
    store,
  }) => {
    const { organisation, keys } = await seed(expect, store, 7, (i) => ({
      type: i % 3 === 0 ? 'trial' : 'standard',
    }))
    await seed(expect, store, 2) // another organisation's keys must never show up
    const ids = keys.map((k) => k.id) as [string, string, string, string, string, string, string]
    const list = async (q: Partial<Parameters<KeyStore['listKeys']>[0]>) =>
      (
        await store.listKeys({ organisation: organisation.id, order: 'desc', limit: 100, ...q })
      ).map((k) => k.id)
    expect(await list({})).toEqual([...ids].reverse())
    expect(await list({ order: 'asc' })).toEqual(ids)
    expect(await list({ limit: 3 })).toEqual([ids[6], ids[5], ids[4]])
    expect(await list({ idBelow: ids[4] })).toEqual([ids[3], ids[2], ids[1], ids[0]])
    expect(await list({ idAbove: ids[4], order: 'asc' })).toEqual([ids[5], ids[6]])
    expect(await list({ idAbove: ids[1], idBelow: ids[4] })).toEqual([ids[3], ids[2]])
    expect(await list({ type: 'trial' })).toEqual([ids[6], ids[3], ids[0]])
    expect(await list({ type: 'trial', limit: 2, order: 'asc' })).toEqual([ids[0], ids[3]])
    const full = await store.listKeys({ organisation: organisation.id, order: 'asc', limit: 1 })
    expect(full[0]).toEqual(keys[0])
  })

  test('filters by effective state at the given now, exact at T − 1 ms and T', async ({
    store,
  }) => {
    const T = T0 + 10_000
    const states: Partial<KeyRecord>[] = [
      { state: 'active', expiresAt: T },
      { state: 'deactivated', expiresAt: T },
      { state: 'blocked', expiresAt: T },
      { state: 'expired', expiresAt: T - 5 },
      { state: 'active', expiresAt: null },
    ]
    const { organisation, keys } = await seed(expect, store, states.length, (i) => states[i]!)
    const at = async (state: 'active' | 'deactivated' | 'blocked' | 'expired', now: number) =>
      (
        await store.listKeys({
          organisation: organisation.id,
          order: 'asc',
          limit: 10,
          states: stateFilter(state, now),
        })
      ).map((k) => keys.findIndex((x) => x.id === k.id))
    expect(await at('active', T - 1)).toEqual([0, 4])
    expect(await at('active', T)).toEqual([4])
    expect(await at('deactivated', T - 1)).toEqual([1])
    expect(await at('deactivated', T)).toEqual([])
    expect(await at('blocked', T)).toEqual([2])
    expect(await at('expired', T - 1)).toEqual([3])
    expect(await at('expired', T)).toEqual([0, 1, 3])
  })

  test('finds due keys by expiry, oldest first, exact at the boundary, across organisations', async ({
    store,
  }) => {
    // Expiry instants far before anything else in the suite, so other tests' keys never qualify.
    const base = 1_000
    const a = await seed(expect, store, 3, (i) => ({ expiresAt: base + 2 - i }))
    const b = await seed(
      expect,
      store,
      3,
      (i) =>
        [
          { state: 'blocked' as const, expiresAt: base },
          { state: 'expired' as const, expiresAt: base },
          { state: 'deactivated' as const, expiresAt: base + 1 },
        ][i]!,
    )
    const due = async (now: number, limit = 10) =>
      (
        await store.listDueKeys({
          clause: { states: ['active', 'deactivated'], expiresAtOrBefore: now },
          limit,
        })
      ).map((k) => k.id)
    expect(await due(base - 1)).toEqual([])
    expect(await due(base)).toEqual([a.keys[2]!.id])
    const atOne = await due(base + 1)
    expect(atOne[0]).toBe(a.keys[2]!.id)
    expect(new Set(atOne.slice(1))).toEqual(new Set([a.keys[1]!.id, b.keys[2]!.id]))
    expect(await due(base + 2)).toHaveLength(4)
    expect(await due(base + 2, 2)).toHaveLength(2)
  })
}
