import { KeycycleError } from '../core/errors'
import type { VerifyResult } from '../core/verify-result'
import type { KeycycleEvent } from '../service/events'
import { createKeycycle } from '../service/keycycle'
import type { KeyStore } from '../store'
import { ADMIN, HOUR, manualClock } from './fixtures'
import type { StoreSuiteContext } from './suite-context'

// A generous deadline: these tests are about exactness under concurrency, not deadlines.
const storeTimeoutMs = 30_000

/**
 * Usage control end to end over the store: the service's verification with rate limits,
 * credits, allowed addresses and permission queries, exact however many service instances
 * share the store (each of the harness's clients is one instance).
 */
export function verifyUsageSuite({ test, runner: { expect } }: StoreSuiteContext): void {
  const fleet = (clients: KeyStore[], clock = manualClock()) => ({
    clock,
    instances: [0, 1, 2].map((i) =>
      createKeycycle({ store: clients[i % clients.length]!, clock, storeTimeoutMs }),
    ),
  })

  // `count` verifications, `inFlight` at a time, spread over the instances.
  async function burst(
    instances: ReturnType<typeof fleet>['instances'],
    token: string,
    count: number,
    inFlight: number,
  ): Promise<VerifyResult[]> {
    const results: VerifyResult[] = []
    let next = 0
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < count) {
          const i = next++
          results.push(await instances[i % instances.length]!.verify(token))
        }
      }),
    )
    return results
  }
  const tally = (results: VerifyResult[]) => {
    const out: Record<string, number> = {}
    for (const r of results) {
      const code = r.ok ? 'ok' : r.code
      out[code] = (out[code] ?? 0) + 1
    }
    return out
  }

  test('spends exactly the credits there are, across three instances at 64 in flight', async ({
    clients,
  }) => {
    const { instances } = fleet(clients)
    const [kc] = instances
    const created = await kc!.createOrganisation()
    await kc!.as(ADMIN).updateKey(created.key.id, { credits: { remaining: 100, refill: null } })
    const results = await burst(instances, created.token, 200, 64)
    expect(tally(results)).toEqual({ ok: 100, credits_exhausted: 100 })
    const key = await kc!.as(ADMIN).getKey(created.key.id)
    expect(key.credits).toEqual({ remaining: 0, refill: null })
    const remaining = results.flatMap((r) => (r.ok ? [r.credits!.remaining] : []))
    expect(new Set(remaining).size).toBe(100)
  })

  test('lets exactly a limit through at a frozen instant, across three instances', async ({
    clients,
  }) => {
    const { instances } = fleet(clients)
    const [kc] = instances
    const created = await kc!.createOrganisation()
    await kc!.as(ADMIN).updateKey(created.key.id, {
      rateLimits: [{ name: 'api', limit: 50, windowMs: 60_000 }],
    })
    const results = await burst(instances, created.token, 200, 64)
    expect(tally(results)).toEqual({ ok: 50, rate_limited: 150 })
    const refused = results.find((r) => !r.ok)!
    expect(refused).toMatchObject({ code: 'rate_limited', retryAfterMs: 1200 })
  })

  test('a refusal spends nothing: not the first limit when the second refuses, no unit when credits do', async ({
    clients,
  }) => {
    const { instances } = fleet(clients)
    const [kc] = instances
    const created = await kc!.createOrganisation()
    const admin = kc!.as(ADMIN)
    await admin.updateKey(created.key.id, {
      rateLimits: [
        { name: 'wide', limit: 100, windowMs: 60_000 },
        { name: 'narrow', limit: 1, windowMs: 60_000 },
      ],
    })
    expect(await kc!.verify(created.token)).toMatchObject({ ok: true })
    const refused = await kc!.verify(created.token)
    expect(refused).toMatchObject({
      ok: false,
      code: 'rate_limited',
      rateLimits: [
        { name: 'wide', remaining: 99 },
        { name: 'narrow', remaining: 0 },
      ],
    })
    // Credits refuse after the limits allowed: the limits keep their units.
    await admin.updateKey(created.key.id, {
      rateLimits: [{ name: 'wide', limit: 100, windowMs: 60_000 }],
      credits: { remaining: 0, refill: null },
    })
    const broke = await kc!.verify(created.token)
    expect(broke).toMatchObject({
      code: 'credits_exhausted',
      rateLimits: [{ name: 'wide', remaining: 99 }],
      credits: { remaining: 0 },
    })
    expect('retryAfterMs' in broke).toBe(false)
  })

  test('refills a bucket one unit per windowMs / limit, and says exactly when', async ({
    store,
  }) => {
    const clock = manualClock()
    const kc = createKeycycle({ store, clock, storeTimeoutMs })
    const created = await kc.createOrganisation()
    await kc.as(ADMIN).updateKey(created.key.id, {
      rateLimits: [{ name: 'api', limit: 4, windowMs: 2000 }],
    })
    for (let i = 0; i < 4; i++) expect((await kc.verify(created.token)).ok).toBe(true)
    expect(await kc.verify(created.token)).toMatchObject({
      code: 'rate_limited',
      retryAfterMs: 500,
    })
    clock.advance(499)
    expect(await kc.verify(created.token)).toMatchObject({ code: 'rate_limited', retryAfterMs: 1 })
    clock.advance(1)
    const back = await kc.verify(created.token)
    expect(back).toMatchObject({ ok: true, rateLimits: [{ name: 'api', remaining: 0 }] })
    // A cost takes that many units; a cost of 0 only looks.
    clock.advance(2000)
    expect(await kc.verify(created.token, { cost: 3 })).toMatchObject({
      rateLimits: [{ remaining: 1 }],
    })
    expect(await kc.verify(created.token, { cost: 0 })).toMatchObject({
      rateLimits: [{ remaining: 1 }],
    })
  })

  test('replaces the balance with the refill at each interval, and not before', async ({
    store,
  }) => {
    const clock = manualClock()
    const kc = createKeycycle({ store, clock, storeTimeoutMs, recordEvents: true })
    const created = await kc.createOrganisation()
    const start = clock.now()
    await kc.as(ADMIN).updateKey(created.key.id, {
      credits: { remaining: 2, refill: { amount: 5, intervalMs: HOUR } },
    })
    expect(await kc.verify(created.token, { cost: 2 })).toMatchObject({ credits: { remaining: 0 } })
    clock.set(start + HOUR - 1)
    expect(await kc.verify(created.token)).toMatchObject({
      code: 'credits_exhausted',
      retryAfterMs: 1,
    })
    clock.set(start + HOUR)
    expect(await kc.verify(created.token)).toMatchObject({ credits: { remaining: 4 } })
    clock.set(start + 2 * HOUR)
    expect(await kc.verify(created.token)).toMatchObject({ credits: { remaining: 4 } })
  })

  test('emits key.credits_exhausted once, with the spend that emptied the balance', async ({
    store,
  }) => {
    const events: KeycycleEvent[] = []
    const kc = createKeycycle({
      store,
      clock: manualClock(),
      storeTimeoutMs,
      onEvent: (event) => {
        events.push(event)
      },
    })
    try {
      const created = await kc.createOrganisation()
      await kc.as(ADMIN).updateKey(created.key.id, { credits: { remaining: 2, refill: null } })
      for (let i = 0; i < 4; i++) await kc.verify(created.token)
      await kc.drainEvents()
      // Other tests' events share the store: this key's only.
      const exhausted = events.filter(
        (e) => e.type === 'key.credits_exhausted' && e.key.id === created.key.id,
      )
      expect(exhausted).toHaveLength(1)
      expect(exhausted[0]).toMatchObject({ key: { id: created.key.id }, refillAt: null })
      expect(JSON.stringify(exhausted[0])).not.toContain(created.token)
    } finally {
      await kc.close()
    }
  })

  test('keeps the counters through rotation (grace and forced) and regeneration', async ({
    store,
  }) => {
    const kc = createKeycycle({ store, clock: manualClock(), storeTimeoutMs })
    const created = await kc.createOrganisation()
    const admin = kc.as(ADMIN)
    await admin.updateKey(created.key.id, {
      rateLimits: [{ name: 'api', limit: 10, windowMs: 60_000 }],
      credits: { remaining: 10, refill: null },
    })
    expect(await kc.verify(created.token)).toMatchObject({ credits: { remaining: 9 } })
    const rotated = await admin.rotateKey(created.key.id)
    expect(await kc.verify(rotated.token)).toMatchObject({
      credits: { remaining: 8 },
      rateLimits: [{ remaining: 8 }],
    })
    expect(await kc.verify(created.token)).toMatchObject({
      rotating: true,
      credits: { remaining: 7 },
    })
    const forced = await admin.rotateKey(created.key.id, { force: true })
    expect(await kc.verify(forced.token)).toMatchObject({ credits: { remaining: 6 } })
    const regenerated = await admin.regenerateKey(created.key.id, 'primary')
    expect(await kc.verify(regenerated.token)).toMatchObject({
      credits: { remaining: 5 },
      rateLimits: [{ remaining: 5 }],
    })
  })

  test('shares an organisation-scoped limit between two keys of the organisation', async ({
    store,
  }) => {
    const kc = createKeycycle({ store, clock: manualClock(), storeTimeoutMs })
    const created = await kc.createOrganisation()
    const admin = kc.as(ADMIN)
    const shared = { name: 'org', limit: 3, windowMs: 60_000, scope: 'organisation' as const }
    await admin.updateKey(created.key.id, { rateLimits: [shared] })
    const second = await admin.createKey({
      organisation: created.organisation.id,
      rateLimits: [shared],
    })
    expect((await kc.verify(created.token)).ok).toBe(true)
    expect((await kc.verify(second.token)).ok).toBe(true)
    expect(await kc.verify(created.token)).toMatchObject({ rateLimits: [{ remaining: 0 }] })
    expect(await kc.verify(second.token)).toMatchObject({ code: 'rate_limited' })
  })

  test('admits a key only from its allowed addresses, IPv4, IPv6 and mapped alike', async ({
    store,
  }) => {
    const kc = createKeycycle({ store, clock: manualClock(), storeTimeoutMs })
    const created = await kc.createOrganisation()
    await kc.as(ADMIN).updateKey(created.key.id, {
      allowedIps: ['192.0.2.0/24', '2001:db8::/126', '198.51.100.7'],
    })
    const code = async (ip?: string) => {
      const result = await kc.verify(created.token, ip === undefined ? {} : { ip })
      return result.ok ? 'ok' : result.code
    }
    expect(await code('192.0.2.0')).toBe('ok')
    expect(await code('192.0.2.255')).toBe('ok')
    expect(await code('192.0.3.0')).toBe('ip_forbidden')
    expect(await code('192.0.1.255')).toBe('ip_forbidden')
    expect(await code('::ffff:192.0.2.9')).toBe('ok')
    expect(await code('2001:db8::3')).toBe('ok')
    expect(await code('2001:db8::4')).toBe('ip_forbidden')
    expect(await code('198.51.100.7')).toBe('ok')
    expect(await code('198.51.100.8')).toBe('ip_forbidden')
    expect(await code()).toBe('ip_forbidden')
    expect(
      await kc.verify(created.token, { ip: 'not an address' }).catch((e: unknown) => e),
    ).toMatchObject({
      code: 'validation',
    })
  })

  test('answers permission queries with AND, OR and parentheses, and refuses a malformed one', async ({
    store,
  }) => {
    const kc = createKeycycle({ store, clock: manualClock(), storeTimeoutMs })
    const created = await kc.createOrganisation()
    await kc.as(ADMIN).updateKey(created.key.id, { permissions: ['reports:read', 'billing:*'] })
    const code = async (permissions: string | string[]) => {
      const result = await kc.verify(created.token, { permissions })
      return result.ok ? 'ok' : result.code
    }
    expect(await code('reports:read')).toBe('ok')
    expect(await code('reports:read AND billing:write')).toBe('ok')
    expect(await code('reports:write OR billing:read')).toBe('ok')
    expect(await code('reports:write AND (billing:read OR admin)')).toBe('insufficient_permissions')
    // AND binds tighter: admin OR (reports:read AND billing:read).
    expect(await code('admin OR reports:read AND billing:read')).toBe('ok')
    expect(await code(['reports:read', 'admin'])).toBe('insufficient_permissions')
    const malformed = await kc.verify(created.token, { permissions: 'a AND (b' }).catch((e) => e)
    expect(malformed).toBeInstanceOf(KeycycleError)
    expect(malformed).toMatchObject({ code: 'validation' })
    // A wrong token with a malformed query is still a validation error, not a refusal.
    expect(await kc.verify('kc_nope', { cost: -1 }).catch((e: unknown) => e)).toMatchObject({
      code: 'validation',
    })
  })

  test('leased mode: a burst gets the limit, any window at most 2 × limit + instances × leaseUnits, credits never overspent and unspent leases given back', async ({
    clients,
  }) => {
    const clock = manualClock()
    const leaseUnits = 5
    const instances = [0, 1, 2].map((i) =>
      createKeycycle({
        store: clients[i % clients.length]!,
        clock,
        storeTimeoutMs,
        cache: { maxStalenessMs: 60_000, maxEntries: 100 },
        usage: { mode: 'leased', leaseUnits, leaseTtlMs: 60_000 },
      }),
    )
    const [kc] = instances
    const created = await kc!.createOrganisation()
    const windowMs = 10_000
    const limit = 20
    const balance = 70
    await kc!.as(ADMIN).updateKey(created.key.id, {
      rateLimits: [{ name: 'api', limit, windowMs }],
      credits: { remaining: balance, refill: null },
    })
    let spent = 0
    try {
      // A burst at one instant: leases come out of the bucket, so no more than the limit.
      const burstResults: VerifyResult[] = []
      for (let step = 0; step < 30; step++) {
        burstResults.push(await instances[step % 3]!.verify(created.token))
      }
      expect(tally(burstResults)).toEqual({ ok: limit, rate_limited: 30 - limit })
      expect(burstResults[0]).toMatchObject({ usageAccuracy: { mode: 'leased', leaseUnits } })
      // Then a steady stream, faster than the limit's rate, until the credits run out.
      const start = clock.now()
      const allowed: number[] = burstResults.filter((r) => r.ok).map(() => 0)
      clock.advance(97)
      for (let step = 0; step < 600; step++) {
        if ((await instances[step % 3]!.verify(created.token)).ok) allowed.push(clock.now() - start)
        clock.advance(97)
      }
      // A bucket lets its capacity through plus what refills during a window (2 × limit);
      // leases add at most what the three instances held when the window began.
      for (const from of allowed) {
        const inWindow = allowed.filter((t) => t >= from && t < from + windowMs).length
        expect(inWindow <= 2 * limit + 3 * leaseUnits).toBe(true)
      }
      // Credits are taken before they are spent: never more than the balance, and no less than
      // the balance less what the instances still hold.
      expect(allowed.length <= balance).toBe(true)
      expect(allowed.length >= balance - 3 * leaseUnits).toBe(true)
      spent = allowed.length
    } finally {
      await Promise.all(instances.map((instance) => instance.close()))
    }
    // Closed, the instances gave their unspent units back: the balance is what was spent.
    const reader = createKeycycle({ store: clients[0]!, clock, storeTimeoutMs })
    try {
      const key = await reader.as(ADMIN).getKey(created.key.id)
      expect(key.credits?.remaining).toBe(balance - spent)
    } finally {
      await reader.close()
    }
  })
}
