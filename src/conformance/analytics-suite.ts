import { KeycycleError } from '../core/errors'
import type { UsageCount } from '../core/key-usage'
import { createKeycycle } from '../service/keycycle'
import type { KeyStore } from '../store'
import { ADMIN, DAY, HOUR, type ManualClock, manualClock, T0 } from './fixtures'
import type { StoreSuiteContext } from './suite-context'
import { inFlight, roomy } from './usage-fixtures'

const storeTimeoutMs = 30_000
// Every test counts for keys of its own, so a shared namespace never mixes their counts.
const uniqueKeyId = () =>
  `key_${crypto.randomUUID().replaceAll('-', '').slice(0, 26).toUpperCase()}`
const sorted = (counts: UsageCount[]) =>
  [...counts].sort((a, b) => a.hour - b.hour || (a.outcome < b.outcome ? -1 : 1))

/**
 * Usage analytics over the store: the port's atomic increments (`addUsage`) summing across
 * every client, reads by range, pruning; then the service counting verifications by key,
 * hour and outcome, two instances adding up, retention pruned by the sweep, and who may read.
 */
export function analyticsSuite({ test, runner: { expect } }: StoreSuiteContext): void {
  const service = (store: KeyStore, clock: ManualClock, retentionMs?: number) =>
    createKeycycle({
      store,
      clock,
      storeTimeoutMs,
      lastUsedFlushMs: 0,
      ...(retentionMs === undefined ? {} : { analytics: { retentionMs } }),
    })

  test('adds counts atomically: 200 adds at 64 in flight over every client sum exactly', async ({
    store,
    clients,
  }) => {
    const keyId = uniqueKeyId()
    await inFlight(200, 64, (i) =>
      clients[i % clients.length]!.addUsage(
        [
          { keyId, hour: T0, outcome: 'success', count: 2 },
          { keyId, hour: T0 + HOUR, outcome: i % 2 === 0 ? 'invalid' : 'rate_limited', count: 1 },
        ],
        roomy(),
      ),
    )
    expect(sorted(await store.readUsage(keyId, T0, T0 + 2 * HOUR, roomy()))).toEqual([
      { keyId, hour: T0, outcome: 'success', count: 400 },
      { keyId, hour: T0 + HOUR, outcome: 'invalid', count: 100 },
      { keyId, hour: T0 + HOUR, outcome: 'rate_limited', count: 100 },
    ])
  })

  test('reads one key over [from, to) and prunes hours before a bound', async ({ store }) => {
    const [a, b] = [uniqueKeyId(), uniqueKeyId()]
    const hours = [T0 - 2 * DAY, T0 - DAY, T0, T0 + HOUR]
    await store.addUsage(
      hours.flatMap((hour) => [
        { keyId: a, hour, outcome: 'success' as const, count: 1 },
        { keyId: b, hour, outcome: 'expired' as const, count: 3 },
      ]),
      roomy(),
    )
    expect(sorted(await store.readUsage(a, T0 - DAY, T0 + HOUR, roomy()))).toEqual([
      { keyId: a, hour: T0 - DAY, outcome: 'success', count: 1 },
      { keyId: a, hour: T0, outcome: 'success', count: 1 },
    ])
    expect(await store.readUsage(uniqueKeyId(), 0, T0 + DAY, roomy())).toEqual([])
    let pruned = 0
    for (let n = await store.pruneUsage(T0, 1, roomy()); n > 0; ) {
      pruned += n
      n = await store.pruneUsage(T0, 1, roomy())
    }
    expect(pruned).toBeGreaterThanOrEqual(4)
    for (const [keyId, outcome, count] of [
      [a, 'success', 1],
      [b, 'expired', 3],
    ] as const) {
      expect(sorted(await store.readUsage(keyId, 0, T0 + DAY, roomy()))).toEqual([
        { keyId, hour: T0, outcome, count },
        { keyId, hour: T0 + HOUR, outcome, count },
      ])
    }
  })

  test('counts verifications by outcome and hour; none for a malformed or unknown token', async ({
    store,
  }) => {
    const clock = manualClock(T0 + 10 * 60_000)
    const kc = service(store, clock)
    const created = await kc.createOrganisation()
    const org = kc.asOrganisation(created.organisation.id)
    const id = created.key.id
    const spare = await org.createKey({ name: 'spare' })
    const old = created.token
    const { token } = await org.rotateKey(id, { force: true })
    for (const t of [token, token, token, old, old]) await kc.verify(t)
    await kc.verify('not a token')
    await org.deleteKey(spare.key.id)
    expect(await kc.verify(spare.token)).toMatchObject({ ok: false, code: 'not_found' })
    await org.deactivateKey(id, { allowLockout: true })
    clock.advance(HOUR)
    expect(await kc.verify(token)).toMatchObject({ ok: false, code: 'deactivated' })
    await org.activateKey(id)
    await kc.verify(token)
    // Nothing is written until a flush: never on the request path.
    expect(await store.readUsage(id, 0, T0 + DAY, roomy())).toEqual([])
    await kc.flushUsage()
    const usage = await org.getKeyUsage(id, { from: T0, to: T0 + 2 * HOUR })
    expect(usage).toMatchObject({ keyId: id, granularity: 'hour', from: T0, to: T0 + 2 * HOUR })
    expect(usage.buckets).toEqual([
      { start: T0, counts: { success: 3, invalid: 2, total: 5 } },
      { start: T0 + HOUR, counts: { success: 1, deactivated: 1, total: 2 } },
    ])
    expect(usage.totals).toEqual({ success: 4, invalid: 2, deactivated: 1, total: 7 })
    const daily = await org.getKeyUsage(id, { granularity: 'day', from: T0 - DAY, to: T0 })
    expect(daily.buckets.map((b) => b.counts.total)).toEqual([0, 7])
    expect(await store.readUsage(spare.key.id, 0, T0 + DAY, roomy())).toEqual([])
    await kc.close()
  })

  test('two instances add up', async ({ clients }) => {
    const clock = manualClock()
    const [one, two] = [0, 1].map((i) => service(clients[i % clients.length]!, clock))
    const created = await one!.createOrganisation()
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? one! : two!).verify(created.token)),
    )
    // One after the other: both write last use to the same key, and a lost compare-and-set
    // pauses on an unref'd timer, which Node's own test runner would take for an idle process.
    await one!.flushUsage()
    await two!.flushUsage()
    await two!.verify(created.token)
    await two!.flushUsage()
    const usage = await one!.asAdmin('ops').getKeyUsage(created.key.id)
    expect(usage.totals).toEqual({ success: 31, total: 31 })
    await Promise.all([one!.close(), two!.close()])
  })

  test('the sweep prunes counts older than the retention; newer ones stay', async ({ store }) => {
    const clock = manualClock()
    const kc = service(store, clock, 3 * HOUR)
    const created = await kc.createOrganisation()
    await kc.verify(created.token)
    clock.advance(2 * HOUR)
    await kc.verify(created.token)
    await kc.flushUsage()
    clock.advance(2 * HOUR)
    await kc.expireDue()
    const usage = await kc.as(ADMIN).getKeyUsage(created.key.id, { from: T0 - HOUR })
    expect(usage.buckets.filter((b) => b.counts.total > 0)).toEqual([
      { start: T0 + 2 * HOUR, counts: { success: 1, total: 1 } },
    ])
    await kc.close()
  })

  test('an organisation reads only its own keys; an admin any', async ({ store }) => {
    const clock = manualClock()
    const kc = service(store, clock)
    const mine = await kc.createOrganisation()
    const theirs = await kc.createOrganisation()
    await kc.verify(theirs.token)
    await kc.flushUsage()
    const error = await kc
      .asOrganisation(mine.organisation.id)
      .getKeyUsage(theirs.key.id)
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KeycycleError)
    expect((error as KeycycleError).code).toBe('not_found')
    const read = await kc.as(ADMIN).getKeyUsage(theirs.key.id)
    expect(read.totals.total).toBe(1)
    const bad = await kc
      .as(ADMIN)
      .getKeyUsage(theirs.key.id, { from: T0, to: T0 })
      .catch((e: unknown) => e)
    expect((bad as KeycycleError).code).toBe('validation')
    await kc.close()
  })
}
