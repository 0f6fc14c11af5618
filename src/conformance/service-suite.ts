import { KeycycleError } from '../core/errors'
import type { Actor } from '../core/types'
import { createKeycycle } from '../service/keycycle'
import type { KeyStore } from '../store'
import { ADMIN, HOUR, manualClock } from './fixtures'
import type { StoreSuiteContext } from './suite-context'

// These tests are about what the store commits, not about deadlines (which have tests of
// their own): a generous deadline keeps a loaded CI machine from turning a lost race into
// `unavailable`.
const storeTimeoutMs = 30_000

/** The whole service over the store: what a host relies on, end to end. */
export function serviceSuite({ harness, test, runner: { expect } }: StoreSuiteContext): void {
  const rotations = harness.rotations ?? 100
  const service = (store: KeyStore, clock = manualClock()) => ({
    kc: createKeycycle({ store, clock, storeTimeoutMs }),
    clock,
  })

  test('runs a key life: create, verify, rotate with grace, expire exactly, extend', async ({
    store,
  }) => {
    const { kc, clock } = service(store)
    const created = await kc.createOrganisation({ storageConfig: 3 })
    const me: Actor = { kind: 'organisation', id: created.organisation.id }
    expect(await kc.verify(created.token)).toMatchObject({
      ok: true,
      config: { storageConfig: { value: 3 } },
    })
    const t0 = clock.now()
    const rotated = await kc.as(me).rotateKey(created.key.id, {})
    clock.set(t0 + 6 * HOUR - 1)
    expect(await kc.verify(created.token)).toMatchObject({ ok: true, rotating: true })
    clock.set(t0 + 6 * HOUR)
    expect(await kc.verify(created.token)).toMatchObject({ ok: false, code: 'invalid' })

    const T = clock.now() + HOUR
    const trial = await kc.as(ADMIN).createKey({ organisation: me.id, type: 'trial', expiresAt: T })
    clock.set(T - 1)
    expect((await kc.verify(trial.token)).ok).toBe(true)
    clock.set(T)
    expect(await kc.verify(trial.token)).toMatchObject({ ok: false, code: 'expired' })
    await kc.as(ADMIN).extendKey(trial.key.id, T + HOUR)
    expect((await kc.verify(trial.token)).ok).toBe(true)
    expect((await kc.verify(rotated.token)).ok).toBe(true)
  })

  test('answers every verification with a deep-frozen result, first read and repeated', async ({
    store,
  }) => {
    const { kc } = service(store)
    const created = await kc.createOrganisation()
    const admin = kc.as(ADMIN)
    await admin.updateKey(created.key.id, { metadata: { tier: { name: 'gold' } } })
    const rotated = await admin.rotateKey(created.key.id, { slot: 'secondary' })
    for (const token of [created.token, rotated.token, created.token, 'kc_nope']) {
      const result = await kc.verify(token)
      const unfrozen: string[] = []
      const walk = (value: unknown, path: string) => {
        if (typeof value !== 'object' || value === null) return
        if (!Object.isFrozen(value)) unfrozen.push(path)
        for (const [name, inner] of Object.entries(value)) walk(inner, `${path}.${name}`)
      }
      walk(result, 'result')
      expect(unfrozen).toEqual([])
    }
  })

  test('pages 25 keys forwards and backwards without gaps or repeats', async ({ store }) => {
    const { kc, clock } = service(store)
    const created = await kc.createOrganisation()
    const me: Actor = { kind: 'organisation', id: created.organisation.id }
    const ids = [created.key.id]
    for (let i = 0; i < 24; i++) {
      clock.advance(1)
      ids.push((await kc.as(me).createKey({ organisation: me.id })).key.id)
    }
    const newestFirst = [...ids].reverse()
    const forward: string[] = []
    const more: boolean[] = []
    let cursor: string | undefined
    do {
      const page = await kc
        .as(me)
        .listKeys({ organisation: me.id, limit: 10, ...(cursor && { startingAfter: cursor }) })
      forward.push(...page.data.map((k) => k.id))
      more.push(page.hasMore)
      cursor = page.hasMore ? page.data.at(-1)?.id : undefined
    } while (cursor)
    expect(forward).toEqual(newestFirst)
    expect(more).toEqual([true, true, false])

    const backward: string[][] = []
    let before: string | undefined = newestFirst.at(-1)
    for (;;) {
      const page = await kc
        .as(me)
        .listKeys({ organisation: me.id, limit: 10, endingBefore: before! })
      backward.unshift(page.data.map((k) => k.id))
      if (!page.hasMore) break
      before = page.data[0]!.id
    }
    expect(backward.flat()).toEqual(newestFirst.slice(0, -1))
    expect(backward.map((p) => p.length)).toEqual([4, 10, 10])
  })

  test('filters lists by effective state, before and after the expiry sweep', async ({ store }) => {
    const { kc, clock } = service(store)
    const created = await kc.createOrganisation()
    const me: Actor = { kind: 'organisation', id: created.organisation.id }
    const T = clock.now() + HOUR
    clock.advance(1) // IDs made in the same millisecond have no defined order
    const trial = await kc.as(ADMIN).createKey({ organisation: me.id, type: 'trial', expiresAt: T })
    const ids = async (state: 'active' | 'expired') =>
      (await kc.as(me).listKeys({ organisation: me.id, state })).data.map((k) => k.id)
    clock.set(T - 1)
    expect(await ids('active')).toEqual([trial.key.id, created.key.id])
    clock.set(T)
    expect(await ids('active')).toEqual([created.key.id])
    expect(await ids('expired')).toEqual([trial.key.id])
    expect(await kc.expireDue({ limit: 1000 })).toBeGreaterThanOrEqual(1)
    expect(await ids('expired')).toEqual([trial.key.id])
    expect((await kc.as(me).getKey(trial.key.id)).state).toBe('expired')
  })

  test(`keeps exactly one token after ${rotations} concurrent force-rotations across clients`, async ({
    clients,
  }) => {
    const clock = manualClock()
    const services = clients.map((store) => createKeycycle({ store, clock, storeTimeoutMs }))
    const created = await services[0]!.createOrganisation()
    const results = await Promise.allSettled(
      Array.from({ length: rotations }, (_, i) =>
        services[i % services.length]!.as(ADMIN).rotateKey(created.key.id, { force: true }),
      ),
    )
    const wins = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(KeycycleError)
        expect({ code: r.reason.code, message: r.reason.message }).toMatchObject({
          code: 'conflict',
        })
      }
    }
    expect(wins.length).toBeGreaterThan(0)
    console.info(
      `${harness.name}: ${rotations} force-rotations → ${wins.length} committed, ${results.length - wins.length} conflict`,
    )
    const final = await services[0]!.as(ADMIN).getKey(created.key.id)
    expect(final.version).toBe(1 + wins.length)
    expect(new Set(wins.map((w) => w.key.version)).size).toBe(wins.length)
    const last = wins.reduce((a, b) => (a.key.version > b.key.version ? a : b))
    const verdicts = await Promise.all([created, ...wins].map((w) => services[0]!.verify(w.token)))
    expect(verdicts.filter((v) => v.ok)).toHaveLength(1)
    expect(await services[0]!.verify(last.token)).toMatchObject({ ok: true })
  })

  test('keeps one standard key active when the last two are deactivated concurrently', async ({
    clients,
  }) => {
    const clock = manualClock()
    const [a, b] = [0, 1].map((i) =>
      createKeycycle({ store: clients[i % clients.length]!, clock, storeTimeoutMs }),
    )
    // A few rounds, since which racer sees which write varies from run to run.
    for (let round = 0; round < 3; round++) {
      const created = await a!.createOrganisation()
      const me = a!.asOrganisation(created.organisation.id)
      const second = await me.createKey()
      const ids = [created.key.id, second.key.id]
      const outcomes = await Promise.allSettled([
        me.deactivateKey(ids[0]!),
        b!.asOrganisation(created.organisation.id).deactivateKey(ids[1]!),
      ])
      const refused: string[] = []
      for (const [i, outcome] of outcomes.entries()) {
        if (outcome.status === 'fulfilled') continue
        refused.push(ids[i]!)
        expect(outcome.reason).toBeInstanceOf(KeycycleError)
        expect({ code: outcome.reason.code, message: outcome.reason.message }).toMatchObject({
          code: 'lockout',
        })
      }
      // At least one refusal, and every refused key (only those) is still active.
      expect(refused.length).toBeGreaterThanOrEqual(1)
      const active = await me.listKeys({ state: 'active' })
      expect(active.data.map((k) => k.id).sort()).toEqual(refused.sort())
    }
  })

  test('stores no token and no piece of a secret anywhere', async ({ store, dump }) => {
    const { kc } = service(store)
    const created = await kc.createOrganisation()
    const me: Actor = { kind: 'organisation', id: created.organisation.id }
    const tokens = [
      created.token,
      (await kc.as(me).rotateKey(created.key.id, {})).token,
      (await kc.as(me).regenerateKey(created.key.id, 'secondary')).token,
      (await kc.as(me).createKey({ organisation: me.id, name: 'scan' })).token,
    ]
    const raw = await dump()
    expect(raw).toContain(created.key.id)
    for (const token of tokens) {
      const secret = token.slice(-49, -6)
      expect(raw).not.toContain(token)
      for (let i = 0; i + 12 <= secret.length; i++)
        expect(raw).not.toContain(secret.slice(i, i + 12))
    }
  })
}
