import { describe, expect, it } from 'vitest'
import { ADMIN } from '../../src/conformance/fixtures'
import { decideVerification } from '../../src/core/decide-verification'
import { createDigester } from '../../src/core/digest'
import { newOrganisation } from '../../src/core/organisations'
import { rotate } from '../../src/core/rotation'
import type { KeyRecord } from '../../src/core/types'
import { HOUR, T0 } from '../helpers/clock'
import { keyRecord } from '../helpers/records'

const digest = createDigester()
const admin = ADMIN

// The decision with `presented` standing for the presented secret's digest (one pepper).
const decide = (
  found: Parameters<typeof decideVerification>[0]['found'],
  presented: string,
  now: number,
) => decideVerification({ found, digestFor: () => presented, now })

// A record whose primary digest is the digest of `secret`.
function withSecret(secret: string, over: Partial<KeyRecord> = {}) {
  const record = keyRecord(over)
  record.primary.digest = digest(record.id, secret)
  const organisation = newOrganisation({ webhookConfig: 9 }, record.organisation, admin, T0)
  return { key: record, organisation }
}

describe('the verification decision', () => {
  it('accepts the current token with its slot and the stored digest it matched', () => {
    const found = withSecret('s1')
    const result = decide(found, digest(found.key.id, 's1'), T0)
    expect(result).toEqual({
      ok: true,
      slot: 'primary',
      graceEndsAt: null,
      stored: found.key.primary.digest,
    })
  })

  it('answers not_found for an unknown key and invalid for a wrong secret', () => {
    const found = withSecret('s1')
    expect(decide(null, digest(found.key.id, 's1'), T0)).toEqual({
      ok: false,
      code: 'not_found',
    })
    expect(decide(found, digest(found.key.id, 's2'), T0)).toEqual({
      ok: false,
      code: 'invalid',
    })
  })

  it('names the state only once the secret matched', () => {
    const blocked = withSecret('s1', { state: 'blocked' })
    expect(decide(blocked, digest(blocked.key.id, 's1'), T0)).toEqual({
      ok: false,
      code: 'blocked',
    })
    expect(decide(blocked, digest(blocked.key.id, 'nope'), T0)).toEqual({
      ok: false,
      code: 'invalid',
    })
    const trial = withSecret('s1', { expiresAt: T0 + HOUR })
    expect(decide(trial, digest(trial.key.id, 's1'), T0 + HOUR - 1).ok).toBe(true)
    expect(decide(trial, digest(trial.key.id, 's1'), T0 + HOUR)).toEqual({
      ok: false,
      code: 'expired',
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
    expect(decide(state, old, T0 + 6 * HOUR - 1)).toMatchObject({
      ok: true,
      graceEndsAt: T0 + 6 * HOUR,
      stored: old,
    })
    expect(decide(state, old, T0 + 6 * HOUR)).toMatchObject({
      ok: false,
      code: 'invalid',
    })
    expect(decide(state, next.digest, T0 + 6 * HOUR)).toMatchObject({
      ok: true,
      graceEndsAt: null,
    })
  })
})
