import type { KeycycleEvent } from '../service/events'
import { createKeycycle } from '../service/keycycle'
import type { KeyStore } from '../store'
import { ADMIN, HOUR, manualClock } from './fixtures'
import type { StoreSuiteContext } from './suite-context'

const storeTimeoutMs = 30_000
const where = { url: 'https://github.com/octo/repo/blob/abc/config.js', source: 'content' }

/**
 * Leaked tokens reported (GitHub secret scanning, `kc.reportLeaks`) over the store: a revoked
 * token stops at once while the key keeps its ID, its other slot and its counters; `notify`
 * changes nothing; `key.leaked` is recorded with the write and never carries the token.
 */
export function leakSuite({ test, runner: { expect } }: StoreSuiteContext): void {
  const service = (store: KeyStore) => {
    const events: KeycycleEvent[] = []
    const clock = manualClock()
    const kc = createKeycycle({
      store,
      clock,
      storeTimeoutMs,
      onEvent: (event) => void events.push(event),
    })
    const leaked = async (keyId: string) => {
      await kc.drainEvents()
      return events.filter((e) => e.type === 'key.leaked' && e.key.id === keyId)
    }
    return { kc, clock, leaked }
  }
  // A key with credits and both slots: its primary token, its secondary one.
  const twoSlotKey = async (kc: ReturnType<typeof service>['kc']) => {
    const created = await kc.createOrganisation()
    const admin = kc.as(ADMIN)
    const { key, token } = await admin.createKey({
      organisation: created.organisation.id,
      credits: { remaining: 10, refill: null },
    })
    const secondary = await admin.regenerateKey(key.id, 'secondary')
    return { key, primary: token, secondary: secondary.token }
  }

  test('revokes a leaked current token at once; the key keeps its ID, other slot and counters', async ({
    store,
    dump,
  }) => {
    const { kc, leaked } = service(store)
    try {
      const { key, primary, secondary } = await twoSlotKey(kc)
      expect(await kc.verify(primary)).toMatchObject({ ok: true, credits: { remaining: 9 } })
      const before = await kc.as(ADMIN).getKey(key.id)
      const verdicts = await kc.reportLeaks([{ token: primary, type: 'keycycle', ...where }])
      expect(verdicts).toEqual([
        {
          label: 'true_positive',
          keyId: key.id,
          slot: 'primary',
          which: 'current',
          outcome: 'revoked',
        },
      ])
      expect(await kc.verify(primary)).toMatchObject({ ok: false, code: 'invalid' })
      // The other slot still works, and spends from the same balance.
      expect(await kc.verify(secondary)).toMatchObject({ ok: true, credits: { remaining: 8 } })
      const after = await kc.as(ADMIN).getKey(key.id)
      expect(after).toMatchObject({ id: key.id, state: 'active', secondary: before.secondary })
      expect(after.primary.hint).toBe(before.primary.hint)
      const events = await leaked(key.id)
      expect(events).toHaveLength(1)
      expect(events[0]).toMatchObject({ slot: 'primary', which: 'current', outcome: 'revoked' })
      expect(events[0]).toMatchObject({ ...where, actor: { kind: 'system' } })
      expect(JSON.stringify(events[0])).not.toContain(primary)
      expect(await dump()).not.toContain(primary)
      // Reported again: recognised, nothing more to revoke, the token still refused.
      const again = await kc.reportLeaks([{ token: primary, type: 'keycycle', ...where }])
      expect(again).toMatchObject([{ label: 'true_positive', outcome: 'already_revoked' }])
      expect(await kc.verify(primary)).toMatchObject({ ok: false, code: 'invalid' })
      // The owner rotates for a new token; the revoked one gets no grace period.
      const rotated = await kc.asOrganisation(key.organisation).rotateKey(key.id)
      expect(rotated.key.primary.retiringUntil).toBeNull()
      expect(await kc.verify(rotated.token)).toMatchObject({ ok: true })
      expect(await kc.verify(primary)).toMatchObject({ ok: false, code: 'invalid' })
    } finally {
      await kc.close()
    }
  })

  test('revokes a leaked retiring token and leaves the slot current one working', async ({
    store,
  }) => {
    const { kc, leaked } = service(store)
    try {
      const created = await kc.createOrganisation()
      const owner = kc.asOrganisation(created.organisation.id)
      const rotated = await owner.rotateKey(created.key.id)
      expect(await kc.verify(created.token)).toMatchObject({ ok: true })
      const verdicts = await kc.reportLeaks([{ token: created.token, type: 't', ...where }])
      expect(verdicts).toMatchObject([{ slot: 'primary', which: 'retiring', outcome: 'revoked' }])
      expect(await kc.verify(created.token)).toMatchObject({ ok: false, code: 'invalid' })
      expect(await kc.verify(rotated.token)).toMatchObject({ ok: true })
      expect((await owner.getKey(created.key.id)).primary.retiringUntil).toBeNull()
      expect(await leaked(created.key.id)).toMatchObject([{ which: 'retiring' }])
    } finally {
      await kc.close()
    }
  })

  test('under notify, reports and changes nothing else', async ({ store }) => {
    const { kc, leaked } = service(store)
    try {
      const { key, primary } = await twoSlotKey(kc)
      const before = await kc.as(ADMIN).getKey(key.id)
      const verdicts = await kc.reportLeaks([{ token: primary, type: 't', ...where }], {
        policy: 'notify',
      })
      expect(verdicts).toMatchObject([{ label: 'true_positive', outcome: 'reported' }])
      expect(await kc.verify(primary)).toMatchObject({ ok: true })
      const after = await kc.as(ADMIN).getKey(key.id)
      expect({ ...after, version: 0, credits: null }).toEqual({
        ...before,
        version: 0,
        credits: null,
      })
      expect(await leaked(key.id)).toMatchObject([{ outcome: 'reported', ...where }])
    } finally {
      await kc.close()
    }
  })

  test('answers false positives for what is not a live token, and writes nothing', async ({
    store,
  }) => {
    const { kc, clock, leaked } = service(store)
    try {
      const created = await kc.createOrganisation()
      const owner = kc.asOrganisation(created.organisation.id)
      const forced = await owner.rotateKey(created.key.id, { force: true })
      const graced = await owner.rotateKey(created.key.id)
      clock.advance(7 * HOUR) // the grace period (6 h) of `forced.token` is over
      const before = await owner.getKey(created.key.id)
      const last = graced.token.slice(-1) === 'a' ? 'b' : 'a'
      const verdicts = await kc.reportLeaks([
        { token: created.token, type: 't', url: null, source: null }, // rotated out
        { token: forced.token, type: 't', url: null, source: null }, // grace ended
        { token: `${graced.token.slice(0, -1)}${last}`, type: 't', url: null, source: null },
        { token: graced.token.replace(/^kc_/, 'xy_'), type: 't', url: null, source: null },
        { token: 'not a token at all', type: 't', url: null, source: null },
      ])
      expect(verdicts.map((v) => v.label)).toEqual(Array(5).fill('false_positive'))
      expect((await owner.getKey(created.key.id)).version).toBe(before.version)
      expect(await leaked(created.key.id)).toEqual([])
    } finally {
      await kc.close()
    }
  })
}
