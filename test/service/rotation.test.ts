import { describe, expect, it } from 'vitest'
import { KeycycleError } from '../../src'
import { HOUR } from '../helpers/clock'
import { ADMIN, newOrg, setup } from '../helpers/setup'

describe('rotation (ricloud rotate)', () => {
  it('keeps the old token for 6 h: accepted at 6 h − 1 ms with rotating: true, refused at 6 h', async () => {
    const { kc, clock, events } = setup()
    const o = await newOrg(kc)
    const t0 = clock.now()
    const rotated = await kc.as(o.actor).rotateKey(o.key.id, {})
    expect(rotated.token).not.toBe(o.token)
    expect(rotated.key.primary.retiringUntil).toBe(t0 + 6 * HOUR)
    clock.set(t0 + 6 * HOUR - 1)
    expect(await kc.verify(o.token)).toMatchObject({
      ok: true,
      rotating: true,
      graceEndsAt: t0 + 6 * HOUR,
    })
    expect(await kc.verify(rotated.token)).toMatchObject({
      ok: true,
      rotating: false,
      graceEndsAt: null,
    })
    clock.set(t0 + 6 * HOUR)
    expect(await kc.verify(o.token)).toMatchObject({ ok: false, code: 'invalid' })
    expect((await kc.as(o.actor).getKey(o.key.id)).primary.retiringUntil).toBeNull()
    expect(events.at(-1)).toMatchObject({
      type: 'key.rotated',
      slot: 'primary',
      force: false,
      graceEndsAt: t0 + 6 * HOUR,
    })
  })

  it('with force, revokes the old token at once', async () => {
    const { kc } = setup()
    const o = await newOrg(kc)
    const rotated = await kc.as(o.actor).rotateKey(o.key.id, { force: true })
    expect(await kc.verify(o.token)).toMatchObject({ ok: false, code: 'invalid' })
    expect((await kc.verify(rotated.token)).ok).toBe(true)
    expect(rotated.key.primary.retiringUntil).toBeNull()
  })

  it('revokes a still-retiring token when the slot rotates again, and never extends a deadline', async () => {
    const { kc, clock } = setup()
    const o = await newOrg(kc)
    const first = await kc.as(o.actor).rotateKey(o.key.id, {})
    clock.advance(HOUR)
    const second = await kc.as(o.actor).rotateKey(o.key.id, {})
    expect(await kc.verify(o.token)).toMatchObject({ ok: false, code: 'invalid' })
    expect(await kc.verify(first.token)).toMatchObject({ ok: true, rotating: true })
    expect((await kc.verify(second.token)).ok).toBe(true)
  })

  it('caps the grace window at the key expiry, and later extensions do not revive it', async () => {
    const { kc, clock } = setup()
    const o = await newOrg(kc)
    const t0 = clock.now()
    const trial = await kc
      .as(ADMIN)
      .createKey({ organisation: o.id, type: 'trial', expiresAt: t0 + 2 * HOUR })
    const rotated = await kc.as(ADMIN).rotateKey(trial.key.id, {})
    expect(rotated.key.primary.retiringUntil).toBe(t0 + 2 * HOUR)
    clock.set(t0 + 2 * HOUR)
    await kc.as(ADMIN).extendKey(trial.key.id, t0 + 48 * HOUR)
    expect(await kc.verify(trial.token)).toMatchObject({ ok: false, code: 'invalid' })
    expect((await kc.verify(rotated.token)).ok).toBe(true)
  })

  it('shortening expiry shortens a running grace window', async () => {
    const { kc, clock } = setup()
    const o = await newOrg(kc)
    const t0 = clock.now()
    await kc.as(o.actor).rotateKey(o.key.id, {})
    const key = await kc.as(ADMIN).updateKey(o.key.id, { expiresAt: t0 + HOUR })
    expect(key.primary.retiringUntil).toBe(t0 + HOUR)
  })

  it('is refused for blocked and expired keys, and blocking kills retiring tokens for good', async () => {
    const { kc, clock } = setup()
    const o = await newOrg(kc)
    await kc.as(o.actor).rotateKey(o.key.id, {})
    await kc.as(ADMIN).blockKey(o.key.id)
    const error = await kc
      .as(ADMIN)
      .rotateKey(o.key.id, {})
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KeycycleError)
    expect(error).toMatchObject({ code: 'invalid_transition', details: { from: 'blocked' } })
    await kc.as(ADMIN).unblockKey(o.key.id)
    expect(await kc.verify(o.token)).toMatchObject({ ok: false, code: 'invalid' })

    const trial = await kc
      .as(ADMIN)
      .createKey({ organisation: o.id, type: 'trial', expiresAt: clock.now() + HOUR })
    clock.advance(HOUR)
    await expect(kc.as(ADMIN).rotateKey(trial.key.id, {})).rejects.toMatchObject({
      code: 'invalid_transition',
    })
    await expect(kc.as(ADMIN).regenerateKey(trial.key.id, 'primary')).rejects.toMatchObject({
      code: 'invalid_transition',
    })
  })

  it('rotates the secondary slot independently of the primary', async () => {
    const { kc } = setup()
    const o = await newOrg(kc)
    const secondary = await kc.as(o.actor).rotateKey(o.key.id, { slot: 'secondary' })
    expect(await kc.verify(secondary.token)).toMatchObject({ ok: true, slot: 'secondary' })
    const next = await kc.as(o.actor).rotateKey(o.key.id, { slot: 'secondary', force: true })
    expect(await kc.verify(secondary.token)).toMatchObject({ ok: false, code: 'invalid' })
    expect(await kc.verify(next.token)).toMatchObject({ ok: true, slot: 'secondary' })
    expect((await kc.verify(o.token)).ok).toBe(true)
  })
})

describe('regeneration (NCP PATCH /api-keys)', () => {
  it('replaces a slot at once and creates the secondary one on first use', async () => {
    const { kc, events } = setup()
    const o = await newOrg(kc)
    const secondary = await kc.as(o.actor).regenerateKey(o.key.id, 'secondary')
    expect(secondary.key.secondary).toMatchObject({ hint: `*****${secondary.token.slice(-4)}` })
    expect(await kc.verify(secondary.token)).toMatchObject({ ok: true, slot: 'secondary' })
    const primary = await kc.as(o.actor).regenerateKey(o.key.id, 'primary')
    expect(await kc.verify(o.token)).toMatchObject({ ok: false, code: 'invalid' })
    expect((await kc.verify(primary.token)).ok).toBe(true)
    expect((await kc.verify(secondary.token)).ok).toBe(true)
    expect(events.at(-1)).toMatchObject({ type: 'key.regenerated', slot: 'primary' })
  })
})
