import { type CounterState, NO_COUNTERS, type SpendOutcome, spendCounters } from '../core/counters'
import type { KeyRecord, Organisation } from '../core/types'
import type { KeyStore, SpendAnswer } from '../store'
import { T0 } from './fixtures'
import type { Expect } from './runner'
import type { StoreSuiteContext } from './suite-context'
import {
  bucket,
  claimStream,
  credits,
  exhaustedEvents,
  inFlight,
  plan,
  randomPlan,
  roomy,
  seeded,
  seedKeys,
  spendOf,
} from './usage-fixtures'

// What an answer that is not stale says, for comparing with `spendCounters`.
function outcome(expect: Expect, answer: SpendAnswer): SpendOutcome {
  expect(answer.stale).toBe(false)
  if (answer.stale) throw new Error('stale')
  const { stale: _, ...rest } = answer
  return rest
}

const count = (answers: SpendAnswer[], what: string) =>
  answers.filter((a) => !a.stale && a.outcome === what).length

// A key's counters as `readCounters` shows them, none recorded reading as empty.
async function countersOf(store: KeyStore, id: string): Promise<CounterState> {
  const found = (await store.readCounters([id], roomy())).get(id) ?? NO_COUNTERS
  return { buckets: { ...found.buckets }, credits: found.credits }
}

const bumpedKey = (key: KeyRecord): KeyRecord => ({ ...key, version: key.version + 1 })
const bumpedOrganisation = (o: Organisation): Organisation => ({ ...o, version: o.version + 1 })

/**
 * Usage counters (`spend`, `readCounters`): exact under concurrency across every client,
 * all or nothing, version-checked, events recorded with the spend that empties a balance, and
 * each answer the one `spendCounters` gives.
 */
export function usageSuite({ test, runner: { expect } }: StoreSuiteContext): void {
  test('spends 100 credits exactly: 200 spends at 64 in flight over every client', async ({
    store,
    clients,
  }) => {
    const { organisation, keys } = await seedKeys(store)
    const key = keys[0]!
    const events = exhaustedEvents(key)
    const answers = await inFlight(200, 64, (i) =>
      clients[i % clients.length]!.spend(
        spendOf(key, organisation, plan([], credits(100)), events.make),
        roomy(),
      ),
    )
    expect(count(answers, 'spent')).toBe(100)
    expect(count(answers, 'credits_exhausted')).toBe(100)
    expect(answers.filter((a) => !a.stale && a.outcome === 'spent' && a.emptied)).toHaveLength(1)
    expect((await countersOf(store, key.id)).credits?.remaining).toBe(0)
    // The emptying spend's events, once, in the outbox.
    expect(await claimStream(store, events.stream)).toHaveLength(1)
  })

  test('takes a limit of 50 exactly at a frozen now: 200 spends at 64 in flight', async ({
    store,
    clients,
  }) => {
    const { organisation, keys } = await seedKeys(store)
    const key = keys[0]!
    const limited = plan([bucket('api', 50, 60_000)])
    const answers = await inFlight(200, 64, (i) =>
      clients[i % clients.length]!.spend(spendOf(key, organisation, limited), roomy()),
    )
    expect(count(answers, 'spent')).toBe(50)
    expect(count(answers, 'rate_limited')).toBe(150)
    for (const a of answers) {
      if (!a.stale && a.outcome === 'rate_limited') {
        expect(a).toMatchObject({ retryAfterMs: 1200, buckets: [{ remaining: 0 }] })
      }
    }
    expect(await countersOf(store, key.id)).toEqual({
      // 50 units of 60 000 ms each, counted in ms × limit (see BucketCounter).
      buckets: { api: { at: T0, debt: 50 * 60_000, limit: 50 } },
      credits: null,
    })
  })

  test('shares an organisation-scoped limit between its keys, exactly under concurrency', async ({
    store,
    clients,
  }) => {
    const { organisation, keys } = await seedKeys(store, 2)
    const shared = plan([bucket('org', 50, 60_000, 'organisation')])
    const answers = await inFlight(200, 64, (i) =>
      clients[i % clients.length]!.spend(spendOf(keys[i % 2]!, organisation, shared), roomy()),
    )
    expect(count(answers, 'spent')).toBe(50)
    expect(count(answers, 'rate_limited')).toBe(150)
    // Each key holds none of it: the organisation's counters are its own.
    for (const key of keys) expect((await countersOf(store, key.id)).buckets).toEqual({})
  })

  test('a refusal by the second of two limits leaves the first untouched, either scope first', async ({
    store,
  }) => {
    const { organisation, keys } = await seedKeys(store)
    const key = keys[0]!
    const spend = (p: ReturnType<typeof plan>) =>
      store.spend(spendOf(key, organisation, p), roomy())
    // The key's limit first, the organisation's refusing.
    const keyFirst = plan([bucket('first', 5, 10_000), bucket('second', 1, 10_000, 'organisation')])
    expect(await spend(keyFirst)).toMatchObject({ outcome: 'spent' })
    const before = await countersOf(store, key.id)
    expect(await spend(keyFirst)).toMatchObject({
      outcome: 'rate_limited',
      buckets: [
        { name: 'first', remaining: 4 },
        { name: 'second', remaining: 0 },
      ],
      retryAfterMs: 10_000,
    })
    expect(await countersOf(store, key.id)).toEqual(before)
    // The organisation's limit first, the key's refusing.
    const orgFirst = plan([bucket('third', 5, 10_000, 'organisation'), bucket('fourth', 1, 10_000)])
    expect(await spend(orgFirst)).toMatchObject({ outcome: 'spent' })
    expect(await spend(orgFirst)).toMatchObject({
      outcome: 'rate_limited',
      buckets: [
        { name: 'third', remaining: 4 },
        { name: 'fourth', remaining: 0 },
      ],
    })
    // A cost of 0 takes nothing and shows each bucket as it stands.
    const look = plan(
      [bucket('second', 1, 10_000, 'organisation'), bucket('third', 5, 10_000, 'organisation')],
      null,
      0,
    )
    expect(await spend(look)).toMatchObject({
      outcome: 'spent',
      buckets: [{ remaining: 0 }, { remaining: 4 }],
    })
  })

  test('a credits_exhausted refusal takes no unit of any limit', async ({ store }) => {
    const { organisation, keys } = await seedKeys(store)
    const key = keys[0]!
    const both = plan(
      [bucket('own', 10, 10_000), bucket('shared', 10, 10_000, 'organisation')],
      credits(1),
    )
    const spend = () => store.spend(spendOf(key, organisation, both), roomy())
    expect(await spend()).toMatchObject({ outcome: 'spent', credits: 0, emptied: true })
    const before = await countersOf(store, key.id)
    for (let i = 0; i < 3; i++) {
      expect(await spend()).toMatchObject({
        outcome: 'credits_exhausted',
        credits: 0,
        retryAfterMs: null,
        buckets: [{ remaining: 9 }, { remaining: 9 }],
      })
    }
    expect(await countersOf(store, key.id)).toEqual(before)
  })

  test('spends nothing on a moved version and answers the current records; counters outlive record writes and die with the key', async ({
    store,
  }) => {
    const { organisation, keys } = await seedKeys(store, 2)
    const [key, other] = keys as [KeyRecord, KeyRecord]
    const rule = plan([bucket('api', 10, 10_000)], credits(10))
    expect(await store.spend(spendOf(key, organisation, rule), roomy())).toMatchObject({
      outcome: 'spent',
    })
    const spentOnce = await countersOf(store, key.id)
    expect(spentOnce.credits?.remaining).toBe(9)

    // The key moved: stale, nothing spent; the record write kept the counters.
    const next = bumpedKey(key)
    expect(await store.updateKey(next, key.version)).toBe(true)
    const stale = await store.spend(spendOf(key, organisation, rule), roomy())
    expect(stale).toEqual({ stale: true, current: { key: next, organisation } })
    expect(await countersOf(store, key.id)).toEqual(spentOnce)

    // Its organisation moved: the same.
    const moved = bumpedOrganisation(organisation)
    expect(await store.updateOrganisation(moved, organisation.version)).toBe(true)
    const alsoStale = await store.spend(spendOf(next, organisation, rule), roomy())
    expect(alsoStale).toEqual({ stale: true, current: { key: next, organisation: moved } })
    expect(await countersOf(store, key.id)).toEqual(spentOnce)
    expect(await store.spend(spendOf(next, moved, rule), roomy())).toMatchObject({
      outcome: 'spent',
      credits: 8,
    })

    // Deleted: stale with nothing current, and its counters gone; another key's stay.
    expect(await store.spend(spendOf(other, moved, rule), roomy())).toMatchObject({ credits: 9 })
    expect(await store.deleteKey(next.id, next.version)).toBe(true)
    expect(await store.spend(spendOf(next, moved, rule), roomy())).toEqual({
      stale: true,
      current: null,
    })
    const left = await store.readCounters([next.id, other.id], roomy())
    expect([...left.keys()]).toEqual([other.id])
  })

  test('records the events of the spend that empties the balance, once; no other spend records any', async ({
    store,
  }) => {
    const { organisation, keys } = await seedKeys(store)
    const key = keys[0]!
    const events = exhaustedEvents(key)
    const spend = () =>
      store.spend(spendOf(key, organisation, plan([], credits(2)), events.make), roomy())
    expect(await spend()).toMatchObject({ outcome: 'spent', credits: 1, emptied: false })
    expect(await claimStream(store, events.stream)).toHaveLength(0)
    expect(await spend()).toMatchObject({ outcome: 'spent', credits: 0, emptied: true })
    const [recorded, ...more] = await claimStream(store, events.stream)
    expect(more).toHaveLength(0)
    expect(recorded).toMatchObject({ subject: { kind: 'key', id: key.id }, seq: 1 })
    expect(JSON.parse(recorded!.body)).toMatchObject({ type: 'key.credits_exhausted' })
    expect(await spend()).toMatchObject({ outcome: 'credits_exhausted', credits: 0 })
    expect(await claimStream(store, events.stream)).toHaveLength(0)
  })

  test('reads the counters of many keys in one call, none for keys without any', async ({
    store,
  }) => {
    const { organisation, keys } = await seedKeys(store, 3)
    const [a, b, idle] = keys as [KeyRecord, KeyRecord, KeyRecord]
    await store.spend(spendOf(a, organisation, plan([], credits(5))), roomy())
    await store.spend(spendOf(b, organisation, plan([bucket('x', 2, 1000)])), roomy())
    const read = await store.readCounters([a.id, b.id, idle.id, `${a.id}0`], roomy())
    expect(new Set(read.keys())).toEqual(new Set([a.id, b.id]))
    expect(read.get(a.id)?.credits).toEqual({ generation: 1, remaining: 4, refilledAt: T0 })
    expect(read.get(b.id)?.buckets).toEqual({ x: { at: T0, debt: 1000, limit: 2 } })
    expect(await store.readCounters([], roomy())).toEqual(new Map())
  })

  test('answers what spendCounters answers, spend for spend, over a random walk of plans and times', async ({
    store,
  }) => {
    const { organisation, keys } = await seedKeys(store, 2)
    const reference = new Map<string, CounterState>(keys.map((k) => [k.id, NO_COUNTERS]))
    let shared: CounterState = NO_COUNTERS
    const random = seeded(20_260_115)
    let now = T0
    // Time never goes back here: a store may keep a full bucket's TAT where `spendCounters`
    // drops it (the organisation's, on a spend that does not use them), which acts alike only
    // while `now` does not go back.
    for (let step = 0; step < 150; step++) {
      now += random.pick([0, 0, 1, 333, 1000, 2500, 9000, 70_000, 400])
      const key = random.pick(keys)
      const p = randomPlan(random, now)
      const expected = spendCounters(reference.get(key.id)!, shared, p)
      if (expected.outcome === 'spent') {
        reference.set(key.id, expected.next.key)
        shared = expected.next.organisation
      }
      const { next: _, ...want } = expected as typeof expected & { next?: unknown }
      const answer = await store.spend(spendOf(key, organisation, p), roomy())
      expect({ step, ...outcome(expect, answer) }).toEqual({ step, ...want })
    }
    for (const key of keys) {
      const want = reference.get(key.id)!
      expect(await countersOf(store, key.id)).toEqual({
        buckets: { ...want.buckets },
        credits: want.credits,
      })
    }
  })

  test('round-trips usage control record fields through writes, null clearing them', async ({
    store,
  }) => {
    const { organisation, keys } = await seedKeys(store)
    const key = keys[0]!
    const limited: KeyRecord = {
      ...bumpedKey(key),
      rateLimits: [
        { name: 'api', limit: 100, windowMs: 60_000, scope: 'key' },
        { name: 'org-wide_2', limit: 1, windowMs: 1000, scope: 'organisation' },
      ],
      credits: {
        remaining: 0,
        refill: { amount: 50, intervalMs: 86_400_000 },
        generation: 2,
        refillFrom: T0 + 1,
      },
      allowedIps: ['10.0.0.0/8', '2001:db8::/32', '::ffff:192.0.2.1'],
    }
    expect(await store.updateKey(limited, key.version)).toBe(true)
    const defaults: Organisation = {
      ...bumpedOrganisation(organisation),
      rateLimits: [{ name: 'shared', limit: 7, windowMs: 3000, scope: 'organisation' }],
      allowedIps: [],
    }
    expect(await store.updateOrganisation(defaults, organisation.version)).toBe(true)
    expect(await store.getKeyWithOrganisation(key.id)).toEqual({
      key: limited,
      organisation: defaults,
    })
    const listed = await store.listKeys({ organisation: organisation.id, order: 'asc', limit: 5 })
    expect(listed).toEqual([limited])
    expect(await store.getOrganisation(organisation.id)).toEqual(defaults)

    const cleared: KeyRecord = {
      ...bumpedKey(limited),
      rateLimits: [],
      credits: null,
      allowedIps: null,
    }
    expect(await store.updateKey(cleared, limited.version)).toBe(true)
    const plain = { ...bumpedOrganisation(defaults), rateLimits: null, allowedIps: null }
    expect(await store.updateOrganisation(plain, defaults.version)).toBe(true)
    expect(await store.getKeyWithOrganisation(key.id)).toEqual({
      key: cleared,
      organisation: plain,
    })
  })
}
