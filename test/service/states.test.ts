import { describe, expect, it } from 'vitest'
import { KeycycleError } from '../../src'
import { HOUR } from '../helpers/clock'
import { ADMIN, newOrg, setup } from '../helpers/setup'

async function refused(call: Promise<unknown>, code: string) {
  const error = await call.catch((e: unknown) => e)
  expect(error).toBeInstanceOf(KeycycleError)
  expect(error).toMatchObject({ code })
  return error as KeycycleError
}

describe('state changes through the service', () => {
  it('lets the organisation deactivate and activate its keys, and verification follows', async () => {
    const { kc, events } = setup()
    const o = await newOrg(kc)
    const extra = await kc.createKey({ organisation: o.id }, o.actor)
    expect((await kc.deactivateKey(extra.key.id, o.actor)).state).toBe('deactivated')
    expect(await kc.verify(extra.token)).toEqual({ ok: false, code: 'deactivated' })
    expect((await kc.activateKey(extra.key.id, o.actor)).state).toBe('active')
    expect((await kc.verify(extra.token)).ok).toBe(true)
    expect(
      events
        .filter((e) => e.type === 'key.state_changed')
        .map((e) => 'from' in e && [e.from, e.to]),
    ).toEqual([
      ['active', 'deactivated'],
      ['deactivated', 'active'],
    ])
  })

  it('keeps block and unblock for admins, and names from, to and actor when refusing', async () => {
    const { kc } = setup()
    const o = await newOrg(kc)
    const error = await refused(kc.blockKey(o.key.id, o.actor), 'forbidden')
    expect(error.details).toEqual({ from: 'active', to: 'blocked', actor: 'organisation' })
    expect(error.status).toBe(403)
    await kc.blockKey(o.key.id, ADMIN)
    expect(await kc.verify(o.token)).toEqual({ ok: false, code: 'blocked' })
    await refused(kc.activateKey(o.key.id, o.actor), 'invalid_transition')
    await refused(kc.activateKey(o.key.id, ADMIN), 'invalid_transition')
    await refused(kc.unblockKey(o.key.id, o.actor), 'forbidden')
    expect((await kc.unblockKey(o.key.id, ADMIN)).state).toBe('active')
    expect((await kc.verify(o.token)).ok).toBe(true)
  })

  it('refuses repeating a transition: deactivating twice is invalid_transition (409)', async () => {
    const { kc } = setup()
    const o = await newOrg(kc)
    const extra = await kc.createKey({ organisation: o.id }, o.actor)
    await kc.deactivateKey(extra.key.id, o.actor)
    const error = await refused(kc.deactivateKey(extra.key.id, o.actor), 'invalid_transition')
    expect(error.status).toBe(409)
  })

  it('expires by the clock, persists with expireDue, and lets only an admin extend', async () => {
    const { kc, clock, events } = setup()
    const o = await newOrg(kc)
    const trial = await kc.createKey(
      { organisation: o.id, type: 'trial', expiresAt: clock.now() + HOUR },
      ADMIN,
    )
    clock.advance(HOUR - 1)
    expect((await kc.verify(trial.token)).ok).toBe(true)
    expect(await kc.expireDue()).toBe(0)
    clock.advance(1)
    expect(await kc.verify(trial.token)).toEqual({ ok: false, code: 'expired' })
    expect((await kc.getKey(trial.key.id, o.actor)).state).toBe('expired')
    expect(await kc.expireDue()).toBe(1)
    expect(await kc.expireDue()).toBe(0)
    expect(events.at(-1)).toMatchObject({
      type: 'key.expired',
      from: 'active',
      actor: { kind: 'system' },
    })

    await refused(kc.extendKey(trial.key.id, clock.now() + HOUR, o.actor), 'forbidden')
    await refused(kc.activateKey(trial.key.id, ADMIN), 'invalid_transition')
    await refused(kc.extendKey(trial.key.id, clock.now() - 1, ADMIN), 'validation')
    const extended = await kc.extendKey(trial.key.id, clock.now() + HOUR, ADMIN)
    expect(extended).toMatchObject({ state: 'active', expiresAt: clock.now() + HOUR })
    expect((await kc.verify(trial.token)).ok).toBe(true)
    expect(events.at(-1)).toMatchObject({
      type: 'key.state_changed',
      from: 'expired',
      to: 'active',
    })
  })

  it('keeps a blocked key blocked when its date passes', async () => {
    const { kc, clock } = setup()
    const o = await newOrg(kc)
    const trial = await kc.createKey({ organisation: o.id, type: 'trial' }, ADMIN)
    await kc.blockKey(trial.key.id, ADMIN)
    clock.advance(30 * 24 * HOUR)
    expect(await kc.expireDue()).toBe(0)
    expect((await kc.getKey(trial.key.id, ADMIN)).state).toBe('blocked')
    expect(await kc.verify(trial.token)).toEqual({ ok: false, code: 'blocked' })
  })

  it('gives trial keys the configured length by default, and only admins create them', async () => {
    const { kc, clock } = setup({ trialDurationMs: 3 * HOUR })
    const o = await newOrg(kc)
    const trial = await kc.createKey({ organisation: o.id, type: 'trial' }, ADMIN)
    expect(trial.key.expiresAt).toBe(clock.now() + 3 * HOUR)
    await refused(kc.createKey({ organisation: o.id, type: 'trial' }, o.actor), 'forbidden')
    const standard = setup()
    const p = await newOrg(standard.kc)
    const fourteen = await standard.kc.createKey({ organisation: p.id, type: 'trial' }, ADMIN)
    expect(fourteen.key.expiresAt).toBe(standard.clock.now() + 14 * 24 * HOUR)
  })
})

describe('the lockout guard', () => {
  it('refuses to deactivate the last active standard key unless told to, without writing', async () => {
    const { kc, events } = setup()
    const o = await newOrg(kc)
    const before = await kc.getKey(o.key.id, o.actor)
    const error = await refused(kc.deactivateKey(o.key.id, o.actor), 'lockout')
    expect(error.status).toBe(409)
    expect(await kc.getKey(o.key.id, o.actor)).toEqual(before)
    expect(events).toHaveLength(1)
    expect((await kc.deactivateKey(o.key.id, o.actor, { allowLockout: true })).state).toBe(
      'deactivated',
    )
  })

  it('counts trial, expired and deactivated keys as no way in; admins are not guarded', async () => {
    const { kc } = setup()
    const o = await newOrg(kc)
    await kc.createKey({ organisation: o.id, type: 'trial' }, ADMIN)
    await refused(kc.deactivateKey(o.key.id, o.actor), 'lockout')
    const second = await kc.createKey({ organisation: o.id }, o.actor)
    await kc.deactivateKey(o.key.id, o.actor)
    await refused(kc.deactivateKey(second.key.id, o.actor), 'lockout')
    expect((await kc.deactivateKey(second.key.id, ADMIN)).state).toBe('deactivated')
  })

  it('leaves at least one key active when the last two are deactivated at once', async () => {
    for (let round = 0; round < 20; round++) {
      const { kc } = setup()
      const o = await newOrg(kc)
      const second = await kc.createKey({ organisation: o.id }, o.actor)
      const outcomes = await Promise.allSettled([
        kc.deactivateKey(o.key.id, o.actor),
        kc.deactivateKey(second.key.id, o.actor),
      ])
      const page = await kc.listKeys({ organisation: o.id, state: 'active' }, o.actor)
      expect(page.data.length).toBeGreaterThanOrEqual(1)
      expect(outcomes.filter((r) => r.status === 'fulfilled').length).toBeLessThanOrEqual(1)
      for (const r of outcomes)
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'lockout' })
    }
  })
})
