import { describe, expect, it } from 'vitest'
import { ADMIN } from '../../src/conformance/fixtures'
import { KeycycleError } from '../../src/core/errors'
import { parseCreateKeyInput, parseKeyPatch, parseOrganisationInput } from '../../src/core/inputs'
import { toKey } from '../../src/core/key-view'
import { applyKeyPatch, newKeyRecord } from '../../src/core/keys'
import {
  applyOrganisationPatch,
  changedOrganisationFields,
  newOrganisation,
} from '../../src/core/organisations'
import { regenerate, rotate } from '../../src/core/rotation'
import type { KeyRecord } from '../../src/core/types'
import { DAY, HOUR, T0 } from '../helpers/clock'
import { fakeDigest } from '../helpers/records'

// How creates and updates store usage control: credits' generation and refill anchor, what
// counts as a change, and what rotation leaves alone.

const ORG = 'org_01JD8X3YQ0V6N2M4K7P9R1S3T5'
const KEY = 'key_01JD8X3YQ0V6N2M4K7P9R1S3T5'
const hourly = { amount: 1000, intervalMs: HOUR }
const daily = { amount: 50, intervalMs: DAY }

function created(input: Record<string, unknown>, at = T0): KeyRecord {
  const parsed = parseCreateKeyInput({ organisation: ORG, ...input }, ADMIN)
  return newKeyRecord(parsed, KEY, fakeDigest(), ADMIN, at, 14 * DAY)
}

function patched(record: KeyRecord, patch: Record<string, unknown>, at: number) {
  return applyKeyPatch(record, parseKeyPatch(patch, ADMIN), ADMIN, at)
}

describe('credits as stored', () => {
  it('at creation: generation 1, refills counted from the creation', () => {
    const record = created({ credits: { remaining: 100, refill: hourly } })
    expect(record.credits).toEqual({
      remaining: 100,
      refill: hourly,
      generation: 1,
      refillFrom: T0,
    })
    expect(created({ credits: { remaining: 0 } }).credits).toEqual({
      remaining: 0,
      refill: null,
      generation: 1,
      refillFrom: T0,
    })
    expect(created({}).credits).toBeNull()
    expect(created({ credits: null }).credits).toBeNull()
    // Reads show the balance and the refill, not the counters' anchors.
    expect(toKey(record, T0).credits).toEqual({ remaining: 100, refill: hourly })
  })

  it('a new balance takes the version the update writes; the refill keeps its anchor', () => {
    const record = created({ credits: { remaining: 100, refill: hourly } })
    const { record: next, changed } = patched(record, { credits: { remaining: 40 } }, T0 + 5 * HOUR)
    expect(next.version).toBe(2)
    expect(next.credits).toEqual({ remaining: 40, refill: hourly, generation: 2, refillFrom: T0 })
    expect(changed).toEqual(['credits'])
  })

  it('setting the same balance again is a change: it starts a new balance', () => {
    const record = created({ credits: { remaining: 100, refill: hourly } })
    const again = patched(record, { credits: { remaining: 100, refill: hourly } }, T0 + HOUR)
    expect(again.changed).toEqual(['credits'])
    expect(again.record.credits).toMatchObject({ generation: 2, refillFrom: T0 })
  })

  it('a changed refill restarts its intervals from now and keeps the balance running', () => {
    const record = created({ credits: { remaining: 100, refill: hourly } })
    const at = T0 + 90 * 60_000
    const { record: next, changed } = patched(record, { credits: { refill: daily } }, at)
    expect(next.credits).toEqual({ remaining: 100, refill: daily, generation: 1, refillFrom: at })
    expect(changed).toEqual(['credits'])
    const none = patched(next, { credits: { refill: null } }, at + HOUR).record
    expect(none.credits).toEqual({
      remaining: 100,
      refill: null,
      generation: 1,
      refillFrom: at + HOUR,
    })
  })

  it('both at once: a new balance and a new anchor', () => {
    const record = created({ credits: { remaining: 100 } })
    const at = T0 + DAY
    expect(
      patched(record, { credits: { remaining: 7, refill: daily } }, at).record.credits,
    ).toEqual({
      remaining: 7,
      refill: daily,
      generation: 2,
      refillFrom: at,
    })
  })

  it('nothing given changes nothing; null makes the key unlimited', () => {
    const record = created({ credits: { remaining: 100, refill: hourly } })
    const same = patched(record, { credits: {} }, T0 + HOUR)
    expect(same.changed).toEqual([])
    expect(same.record).toBe(record)
    const unlimited = patched(record, { credits: null }, T0 + HOUR)
    expect(unlimited.record.credits).toBeNull()
    expect(unlimited.changed).toEqual(['credits'])
    expect(patched(unlimited.record, { credits: null }, T0 + 2 * HOUR).changed).toEqual([])
  })

  it('credits where there were none: a new generation and anchor, and a balance is required', () => {
    const record = patched(created({}), { name: 'x' }, T0 + HOUR).record
    expect(record.version).toBe(2)
    const at = T0 + 2 * HOUR
    expect(patched(record, { credits: { remaining: 5 } }, at).record.credits).toEqual({
      remaining: 5,
      refill: null,
      generation: 3,
      refillFrom: at,
    })
    for (const run of [
      () => patched(record, { credits: { refill: hourly } }, at),
      () => created({ credits: { refill: hourly } }),
      () => created({ credits: {} }),
    ]) {
      expect(run).toThrow(KeycycleError)
      try {
        run()
      } catch (error) {
        expect(error).toMatchObject({ code: 'validation', details: { field: 'credits.remaining' } })
      }
    }
  })

  it('counts the version an extension writes, as any other update', () => {
    const record = created({ type: 'trial', credits: { remaining: 1 } })
    const later = record.expiresAt! + HOUR
    const { record: next, stateChange } = patched(
      record,
      { expiresAt: later + DAY, credits: { remaining: 10 } },
      later,
    )
    expect(stateChange).toEqual({ from: 'expired', to: 'active' })
    expect(next.version).toBe(2)
    expect(next.credits?.generation).toBe(2)
  })
})

describe('rate limits and allow-lists as stored', () => {
  const api = { name: 'api', limit: 100, windowMs: 60_000 }

  it('are taken from the input at creation, scope filled, addresses normalised', () => {
    const record = created({ rateLimits: [api], allowedIps: ['2001:DB8::/32'] })
    expect(record.rateLimits).toEqual([{ ...api, scope: 'key' }])
    expect(record.allowedIps).toEqual(['2001:db8::/32'])
    expect(created({ rateLimits: [] }).rateLimits).toEqual([])
    expect(created({}).rateLimits).toBeNull()
    expect(created({}).allowedIps).toBeNull()
  })

  it('are replaced whole by an update, listed in changed only when they differ', () => {
    const record = created({ rateLimits: [api], allowedIps: ['10.0.0.0/8'] })
    const same = patched(
      record,
      { rateLimits: [{ ...api, scope: 'key' }], allowedIps: ['10.0.0.0/8'] },
      T0 + 1,
    )
    expect(same.changed).toEqual([])
    const next = patched(record, { rateLimits: [], allowedIps: null, name: 'ci' }, T0 + 1)
    expect(next.changed).toEqual(['name', 'rateLimits', 'allowedIps'])
    expect(next.record).toMatchObject({ rateLimits: [], allowedIps: null, version: 2 })
  })

  it('rotation and regeneration leave them, and the credits’ generation, alone', () => {
    const record = created({
      rateLimits: [api],
      credits: { remaining: 100, refill: hourly },
      allowedIps: ['10.0.0.0/8'],
    })
    const usage = ({ rateLimits, credits, allowedIps }: KeyRecord) => ({
      rateLimits,
      credits,
      allowedIps,
    })
    for (const force of [false, true]) {
      const rotated = rotate(
        record,
        { slot: 'primary', force },
        fakeDigest(),
        ADMIN,
        T0 + HOUR,
        HOUR,
      )
      expect(usage(rotated.record)).toEqual(usage(record))
    }
    for (const slot of ['primary', 'secondary'] as const) {
      expect(usage(regenerate(record, slot, fakeDigest(), ADMIN, T0 + HOUR))).toEqual(usage(record))
    }
  })
})

describe('organisation defaults as stored', () => {
  const shared = { name: 'shared', limit: 1000, windowMs: 60_000, scope: 'organisation' }

  it('are taken from createOrganisation’s input and patched like the other defaults', () => {
    const input = parseOrganisationInput(
      { rateLimits: [shared], allowedIps: ['192.0.2.0/24'] },
      'create',
      null,
    )
    const organisation = newOrganisation(input, ORG, ADMIN, T0)
    expect(organisation).toMatchObject({ rateLimits: [shared], allowedIps: ['192.0.2.0/24'] })
    const patch = parseOrganisationInput({ rateLimits: null, storageConfig: 2 }, 'patch', ADMIN)
    const next = applyOrganisationPatch(organisation, patch, ADMIN, T0 + 1)
    expect(next).toMatchObject({ rateLimits: null, allowedIps: ['192.0.2.0/24'], version: 2 })
    expect(changedOrganisationFields(organisation, next)).toEqual(['storageConfig', 'rateLimits'])
    const again = parseOrganisationInput({ allowedIps: ['192.0.2.0/24'] }, 'patch', ADMIN)
    expect(applyOrganisationPatch(organisation, again, ADMIN, T0 + 2)).toBe(organisation)
  })
})
