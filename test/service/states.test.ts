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
    const extra = await kc.as(o.actor).createKey({ organisation: o.id })
    expect((await kc.as(o.actor).deactivateKey(extra.key.id)).state).toBe('deactivated')
    expect(await kc.verify(extra.token)).toMatchObject({ ok: false, code: 'deactivated' })
    expect((await kc.as(o.actor).activateKey(extra.key.id)).state).toBe('active')
    expect((await kc.verify(extra.token)).ok).toBe(true)
    await kc.drainEvents()
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
    const error = await refused(kc.as(o.actor).blockKey(o.key.id), 'forbidden')
    expect(error.details).toEqual({ from: 'active', to: 'blocked', actor: 'organisation' })
    await kc.as(ADMIN).blockKey(o.key.id)
    expect(await kc.verify(o.token)).toMatchObject({ ok: false, code: 'blocked' })
    await refused(kc.as(o.actor).activateKey(o.key.id), 'invalid_transition')
    await refused(kc.as(ADMIN).activateKey(o.key.id), 'invalid_transition')
    await refused(kc.as(o.actor).unblockKey(o.key.id), 'forbidden')
    expect((await kc.as(ADMIN).unblockKey(o.key.id)).state).toBe('active')
    expect((await kc.verify(o.token)).ok).toBe(true)
  })

  it('refuses repeating a transition: deactivating twice is invalid_transition', async () => {
    const { kc } = setup()
    const o = await newOrg(kc)
    const extra = await kc.as(o.actor).createKey({ organisation: o.id })
    await kc.as(o.actor).deactivateKey(extra.key.id)
    const error = await refused(kc.as(o.actor).deactivateKey(extra.key.id), 'invalid_transition')
    expect(error.details).toMatchObject({ from: 'deactivated' })
  })

  it('expires by the clock, persists with expireDue, and lets only an admin extend', async () => {
    const { kc, clock, events } = setup()
    const o = await newOrg(kc)
    const trial = await kc
      .as(ADMIN)
      .createKey({ organisation: o.id, type: 'trial', expiresAt: clock.now() + HOUR })
    clock.advance(HOUR - 1)
    expect((await kc.verify(trial.token)).ok).toBe(true)
    expect(await kc.expireDue()).toBe(0)
    clock.advance(1)
    expect(await kc.verify(trial.token)).toMatchObject({ ok: false, code: 'expired' })
    expect((await kc.as(o.actor).getKey(trial.key.id)).state).toBe('expired')
    expect(await kc.expireDue()).toBe(1)
    expect(await kc.expireDue()).toBe(0)
    await kc.drainEvents()
    expect(events.filter((e) => e.type === 'key.expired')).toHaveLength(1)
    expect(events.find((e) => e.type === 'key.expired')).toMatchObject({
      type: 'key.expired',
      from: 'active',
      actor: { kind: 'system' },
    })

    await refused(kc.as(o.actor).extendKey(trial.key.id, clock.now() + HOUR), 'forbidden')
    await refused(kc.as(ADMIN).activateKey(trial.key.id), 'invalid_transition')
    await refused(kc.as(ADMIN).extendKey(trial.key.id, clock.now() - 1), 'validation')
    const extended = await kc.as(ADMIN).extendKey(trial.key.id, clock.now() + HOUR)
    expect(extended).toMatchObject({ state: 'active', expiresAt: clock.now() + HOUR })
    expect((await kc.verify(trial.token)).ok).toBe(true)
    await kc.drainEvents()
    expect(events.filter((e) => e.type === 'key.state_changed').at(-1)).toMatchObject({
      type: 'key.state_changed',
      from: 'expired',
      to: 'active',
    })
  })

  it('takes expiresAt as a Date or epoch ms, and answers epoch ms', async () => {
    const { kc, clock } = setup()
    const o = await newOrg(kc)
    const inAnHour = clock.now() + HOUR
    const created = await kc
      .as(ADMIN)
      .createKey({ organisation: o.id, type: 'trial', expiresAt: new Date(inAnHour) })
    expect(created.key.expiresAt).toBe(inAnHour)
    const moved = await kc
      .as(ADMIN)
      .updateKey(created.key.id, { expiresAt: new Date(inAnHour + HOUR) })
    expect(moved.expiresAt).toBe(inAnHour + HOUR)
    expect((await kc.as(ADMIN).updateKey(created.key.id, { expiresAt: inAnHour })).expiresAt).toBe(
      inAnHour,
    )
    clock.advance(HOUR)
    expect((await kc.as(ADMIN).getKey(created.key.id)).state).toBe('expired')
    const extended = await kc.as(ADMIN).extendKey(created.key.id, new Date(clock.now() + HOUR))
    expect(extended).toMatchObject({ state: 'active', expiresAt: clock.now() + HOUR })

    // A Date is held to what epoch ms are: valid, and in the future.
    const invalid = await refused(
      kc.as(ADMIN).updateKey(created.key.id, { expiresAt: new Date('tomorrow') }),
      'validation',
    )
    expect(invalid.message).toBe('expiresAt: must be a valid date, got an invalid one')
    expect(invalid.details.field).toBe('expiresAt')
    await refused(kc.as(ADMIN).extendKey(created.key.id, new Date(Number.NaN)), 'validation')
    await refused(
      kc.as(ADMIN).createKey({ organisation: o.id, expiresAt: new Date(clock.now() - 1) }),
      'validation',
    )
    expect((await kc.as(ADMIN).getKey(created.key.id)).expiresAt).toBe(clock.now() + HOUR)
  })

  it('keeps a blocked key blocked when its date passes', async () => {
    const { kc, clock } = setup()
    const o = await newOrg(kc)
    const trial = await kc.as(ADMIN).createKey({ organisation: o.id, type: 'trial' })
    await kc.as(ADMIN).blockKey(trial.key.id)
    clock.advance(30 * 24 * HOUR)
    expect(await kc.expireDue()).toBe(0)
    expect((await kc.as(ADMIN).getKey(trial.key.id)).state).toBe('blocked')
    expect(await kc.verify(trial.token)).toMatchObject({ ok: false, code: 'blocked' })
  })

  it('gives trial keys the configured length by default, and only admins create them', async () => {
    const { kc, clock } = setup({ trialDurationMs: 3 * HOUR })
    const o = await newOrg(kc)
    const trial = await kc.as(ADMIN).createKey({ organisation: o.id, type: 'trial' })
    expect(trial.key.expiresAt).toBe(clock.now() + 3 * HOUR)
    await refused(kc.as(o.actor).createKey({ organisation: o.id, type: 'trial' }), 'forbidden')
    const standard = setup()
    const p = await newOrg(standard.kc)
    const fourteen = await standard.kc.as(ADMIN).createKey({ organisation: p.id, type: 'trial' })
    expect(fourteen.key.expiresAt).toBe(standard.clock.now() + 14 * 24 * HOUR)
  })
})

describe('the lockout guard', () => {
  it('refuses to deactivate the last active standard key unless told to, without writing', async () => {
    const { kc, events } = setup()
    const o = await newOrg(kc)
    const before = await kc.as(o.actor).getKey(o.key.id)
    const error = await refused(kc.as(o.actor).deactivateKey(o.key.id), 'lockout')
    // Named as a JavaScript caller spells the option.
    expect(error.message).toMatch(/pass allowLockout to deactivate it anyway$/)
    expect(error.details.field).toBe('allowLockout')
    expect(await kc.as(o.actor).getKey(o.key.id)).toEqual(before)
    await kc.drainEvents()
    expect(events.map((e) => e.type)).toEqual(['organisation.created', 'key.created'])
    expect((await kc.as(o.actor).deactivateKey(o.key.id, { allowLockout: true })).state).toBe(
      'deactivated',
    )
  })

  it('counts trial, expired and deactivated keys as no way in; admins are not guarded', async () => {
    const { kc } = setup()
    const o = await newOrg(kc)
    await kc.as(ADMIN).createKey({ organisation: o.id, type: 'trial' })
    await refused(kc.as(o.actor).deactivateKey(o.key.id), 'lockout')
    const second = await kc.as(o.actor).createKey({ organisation: o.id })
    await kc.as(o.actor).deactivateKey(o.key.id)
    await refused(kc.as(o.actor).deactivateKey(second.key.id), 'lockout')
    expect((await kc.as(ADMIN).deactivateKey(second.key.id)).state).toBe('deactivated')
  })

  it('leaves at least one key active when the last two are deactivated at once', async () => {
    for (let round = 0; round < 20; round++) {
      const { kc } = setup()
      const o = await newOrg(kc)
      const second = await kc.as(o.actor).createKey({ organisation: o.id })
      const outcomes = await Promise.allSettled([
        kc.as(o.actor).deactivateKey(o.key.id),
        kc.as(o.actor).deactivateKey(second.key.id),
      ])
      const page = await kc.as(o.actor).listKeys({ organisation: o.id, state: 'active' })
      expect(page.data.length).toBeGreaterThanOrEqual(1)
      expect(outcomes.filter((r) => r.status === 'fulfilled').length).toBeLessThanOrEqual(1)
      for (const r of outcomes)
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'lockout' })
    }
  })
})
