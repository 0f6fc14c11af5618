import { describe, expect, it } from 'vitest'
import { ADMIN } from '../../src/conformance/fixtures'
import { createDigester } from '../../src/core/digest'
import { newOrganisation } from '../../src/core/organisations'
import { rotate } from '../../src/core/rotation'
import type { KeyRecord } from '../../src/core/types'
import { decideVerification } from '../../src/core/verify'
import { HOUR, T0 } from '../helpers/clock'
import { keyRecord } from '../helpers/records'

const digest = createDigester()
const admin = ADMIN

// A record whose primary digest is the digest of `secret`.
function withSecret(secret: string, over: Partial<KeyRecord> = {}) {
  const record = keyRecord(over)
  record.primary.digest = digest(record.id, secret)
  const organisation = newOrganisation({ webhookConfig: 9 }, record.organisation, admin, T0)
  return { key: record, organisation }
}

describe('the verification decision', () => {
  it('accepts the current token with the key, slot and effective config', () => {
    const found = withSecret('s1')
    const result = decideVerification(found, digest(found.key.id, 's1'), T0)
    expect(result).toMatchObject({
      ok: true,
      slot: 'primary',
      rotating: false,
      graceEndsAt: null,
      key: { id: found.key.id, state: 'active' },
      config: { webhookConfig: { value: 9, source: 'organisation' } },
    })
  })

  it('answers not_found for an unknown key and invalid for a wrong secret', () => {
    const found = withSecret('s1')
    expect(decideVerification(null, digest(found.key.id, 's1'), T0)).toEqual({
      ok: false,
      code: 'not_found',
      checkedAt: T0,
    })
    expect(decideVerification(found, digest(found.key.id, 's2'), T0)).toEqual({
      ok: false,
      code: 'invalid',
      checkedAt: T0,
    })
  })

  it('names the state only once the secret matched', () => {
    const blocked = withSecret('s1', { state: 'blocked' })
    expect(decideVerification(blocked, digest(blocked.key.id, 's1'), T0)).toEqual({
      ok: false,
      code: 'blocked',
      checkedAt: T0,
    })
    expect(decideVerification(blocked, digest(blocked.key.id, 'nope'), T0)).toEqual({
      ok: false,
      code: 'invalid',
      checkedAt: T0,
    })
    const trial = withSecret('s1', { expiresAt: T0 + HOUR })
    expect(decideVerification(trial, digest(trial.key.id, 's1'), T0 + HOUR - 1).ok).toBe(true)
    expect(decideVerification(trial, digest(trial.key.id, 's1'), T0 + HOUR)).toEqual({
      ok: false,
      code: 'expired',
      checkedAt: T0 + HOUR,
    })
  })

  it('accepts a retiring token until its deadline and says so', () => {
    const found = withSecret('old')
    const next = { digest: digest(found.key.id, 'new'), hint: '*****new1' }
    const rotated = rotate(
      found.key,
      { slot: 'primary', force: false },
      next,
      admin,
      T0,
      6 * HOUR,
    ).record
    const state = { key: rotated, organisation: found.organisation }
    const old = digest(found.key.id, 'old')
    expect(decideVerification(state, old, T0 + 6 * HOUR - 1)).toMatchObject({
      ok: true,
      rotating: true,
      graceEndsAt: T0 + 6 * HOUR,
    })
    expect(decideVerification(state, old, T0 + 6 * HOUR)).toMatchObject({
      ok: false,
      code: 'invalid',
    })
    expect(decideVerification(state, next.digest, T0 + 6 * HOUR)).toMatchObject({
      ok: true,
      rotating: false,
    })
  })
})
