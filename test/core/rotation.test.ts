import { describe, expect, it } from 'vitest'
import { ADMIN } from '../../src/conformance/fixtures'
import { KeycycleError } from '../../src/core/errors'
import { DEFAULT_GRACE_PERIOD_MS, regenerate, rotate } from '../../src/core/rotation'
import { HOUR, T0 } from '../helpers/clock'
import { fakeDigest, keyRecord } from '../helpers/records'

const admin = ADMIN
const G = DEFAULT_GRACE_PERIOD_MS

describe('rotate', () => {
  it('keeps the previous token retiring for the grace period', () => {
    const record = keyRecord()
    const next = fakeDigest()
    const { record: rotated, graceEndsAt } = rotate(
      record,
      { slot: 'primary', force: false },
      next,
      admin,
      T0,
      G,
    )
    expect(graceEndsAt).toBe(T0 + 6 * HOUR)
    expect(rotated.primary).toEqual({
      digest: next.digest,
      hint: next.hint,
      rotatedAt: T0,
      lastUsedAt: null,
      retiring: {
        digest: record.primary.digest,
        hint: record.primary.hint,
        until: T0 + 6 * HOUR,
        lastUsedAt: record.primary.lastUsedAt,
      },
    })
    expect(rotated.version).toBe(record.version + 1)
  })

  it('with force, or a zero grace period, keeps nothing retiring', () => {
    const record = keyRecord()
    expect(
      rotate(record, { slot: 'primary', force: true }, fakeDigest(), admin, T0, G).record.primary
        .retiring,
    ).toBeNull()
    expect(
      rotate(record, { slot: 'primary', force: false }, fakeDigest(), admin, T0, 0).graceEndsAt,
    ).toBeNull()
  })

  it('holds at most one retiring token per slot: the older one is revoked', () => {
    const first = rotate(
      keyRecord(),
      { slot: 'primary', force: false },
      fakeDigest(),
      admin,
      T0,
      G,
    ).record
    const second = rotate(
      first,
      { slot: 'primary', force: false },
      fakeDigest(),
      admin,
      T0 + HOUR,
      G,
    ).record
    expect(second.primary.retiring?.digest).toBe(first.primary.digest)
    expect(second.primary.retiring?.until).toBe(T0 + 7 * HOUR)
  })

  it('never lets a grace window outlive the key', () => {
    const record = keyRecord({ expiresAt: T0 + 2 * HOUR })
    const { graceEndsAt } = rotate(
      record,
      { slot: 'primary', force: false },
      fakeDigest(),
      admin,
      T0,
      G,
    )
    expect(graceEndsAt).toBe(T0 + 2 * HOUR)
  })

  it('creates an empty secondary slot without a retiring token', () => {
    const { record, graceEndsAt } = rotate(
      keyRecord(),
      { slot: 'secondary', force: false },
      fakeDigest(),
      admin,
      T0,
      G,
    )
    expect(record.secondary?.retiring).toBeNull()
    expect(graceEndsAt).toBeNull()
  })

  it.each([
    ['blocked', { state: 'blocked' as const }],
    ['expired', { expiresAt: T0 }],
  ])('is refused for a %s key', (state, over) => {
    const record = keyRecord(over)
    const call = () => rotate(record, { slot: 'primary', force: false }, fakeDigest(), admin, T0, G)
    expect(call).toThrow(KeycycleError)
    expect(call).toThrow(`cannot rotate a ${state} key`)
  })
})

describe('regenerate', () => {
  it('replaces the slot at once, dropping anything retiring there', () => {
    const rotated = rotate(
      keyRecord(),
      { slot: 'primary', force: false },
      fakeDigest(),
      admin,
      T0,
      G,
    ).record
    const next = fakeDigest()
    const regenerated = regenerate(rotated, 'primary', next, admin, T0 + 1)
    expect(regenerated.primary).toEqual({
      ...next,
      rotatedAt: T0 + 1,
      lastUsedAt: null,
      retiring: null,
    })
  })

  it('creates the secondary slot and is refused for blocked keys', () => {
    expect(regenerate(keyRecord(), 'secondary', fakeDigest(), admin, T0).secondary).not.toBeNull()
    expect(() =>
      regenerate(keyRecord({ state: 'blocked' }), 'secondary', fakeDigest(), admin, T0),
    ).toThrow(/blocked/)
  })
})
