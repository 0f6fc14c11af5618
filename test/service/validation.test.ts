import { describe, expect, it } from 'vitest'
import { type Actor, createKeycycle, KeycycleError } from '../../src'
import { ADMIN, newOrg, org, setup } from '../helpers/setup'

type Call = [name: string, code: string, run: () => Promise<unknown>]

describe('bad input to every public call', async () => {
  const { kc, store } = setup()
  const o = await newOrg(kc)
  const other = await newOrg(kc)
  const id = o.key.id
  const foreign: Actor = other.actor
  const unknownKey = 'key_01JAAAAAAAAAAAAAAAAAAAAAAA'
  const unknownOrg = 'org_01JAAAAAAAAAAAAAAAAAAAAAAA'
  const bad = (value: unknown) => value as never

  const calls: Call[] = [
    [
      'createOrganisation: unknown field',
      'validation',
      () => kc.createOrganisation(bad({ colour: 'red' })),
    ],
    [
      'createOrganisation: float config ID',
      'validation',
      () => kc.createOrganisation({ storageConfig: 1.5 }),
    ],
    [
      'createOrganisation: unknown config field',
      'validation',
      () => kc.createOrganisation(bad({ config: { theme: 1 } })),
    ],
    ['getOrganisation: malformed ID', 'validation', () => kc.getOrganisation('nope', ADMIN)],
    ['getOrganisation: unknown ID', 'not_found', () => kc.getOrganisation(unknownOrg, ADMIN)],
    ['getOrganisation: foreign', 'not_found', () => kc.getOrganisation(o.id, foreign)],
    [
      'updateOrganisation: wrong type',
      'validation',
      () => kc.updateOrganisation(o.id, bad({ webhookConfig: true }), o.actor),
    ],
    [
      'updateOrganisation: foreign',
      'not_found',
      () => kc.updateOrganisation(o.id, { storageConfig: 9 }, foreign),
    ],
    ['createKey: missing organisation', 'validation', () => kc.createKey(bad({}), o.actor)],
    [
      'createKey: unknown config field',
      'validation',
      () => kc.createKey(bad({ organisation: o.id, config: { publish: true } }), o.actor),
    ],
    [
      'createKey: config not boolean',
      'validation',
      () =>
        kc.createKey(bad({ organisation: o.id, config: { publishSourceFiles: 'yes' } }), o.actor),
    ],
    [
      'createKey: unknown field',
      'validation',
      () => kc.createKey(bad({ organisation: o.id, owner: 'x' }), o.actor),
    ],
    [
      'createKey: foreign organisation',
      'not_found',
      () => kc.createKey({ organisation: o.id }, foreign),
    ],
    [
      'createKey: unknown organisation',
      'not_found',
      () => kc.createKey({ organisation: unknownOrg }, ADMIN),
    ],
    [
      'createKey: admin field by organisation',
      'forbidden',
      () => kc.createKey({ organisation: o.id, permissions: ['x'] }, o.actor),
    ],
    [
      'createKey: past expiry',
      'validation',
      () => kc.createKey({ organisation: o.id, expiresAt: 1 }, ADMIN),
    ],
    [
      'createKey: bad type',
      'validation',
      () => kc.createKey(bad({ organisation: o.id, type: 'gold' }), ADMIN),
    ],
    [
      'createKey: bad permission',
      'validation',
      () => kc.createKey({ organisation: o.id, permissions: ['has space'] }, ADMIN),
    ],
    [
      'createKey: name too long',
      'validation',
      () => kc.createKey({ organisation: o.id, name: 'x'.repeat(256) }, o.actor),
    ],
    [
      'createKey: bad actor',
      'validation',
      () => kc.createKey({ organisation: o.id }, bad({ kind: 'root', id: 'x' })),
    ],
    [
      'createKey: no actor',
      'validation',
      () => kc.createKey({ organisation: o.id }, bad(undefined)),
    ],
    ['getKey: malformed ID', 'validation', () => kc.getKey('key_1', o.actor)],
    ['getKey: unknown ID', 'not_found', () => kc.getKey(unknownKey, o.actor)],
    ['getKey: foreign', 'not_found', () => kc.getKey(id, foreign)],
    [
      'listKeys: limit 0',
      'validation',
      () => kc.listKeys({ organisation: o.id, limit: 0 }, o.actor),
    ],
    [
      'listKeys: limit 101',
      'validation',
      () => kc.listKeys({ organisation: o.id, limit: 101 }, o.actor),
    ],
    [
      'listKeys: limit 1.5',
      'validation',
      () => kc.listKeys({ organisation: o.id, limit: 1.5 }, o.actor),
    ],
    [
      'listKeys: both cursors',
      'validation',
      () => kc.listKeys({ organisation: o.id, startingAfter: id, endingBefore: id }, o.actor),
    ],
    [
      'listKeys: bad cursor',
      'validation',
      () => kc.listKeys({ organisation: o.id, startingAfter: 'x' }, o.actor),
    ],
    [
      'listKeys: bad state',
      'validation',
      () => kc.listKeys(bad({ organisation: o.id, state: 'gone' }), o.actor),
    ],
    ['listKeys: foreign', 'not_found', () => kc.listKeys({ organisation: o.id }, foreign)],
    [
      'updateKey: unknown field',
      'validation',
      () => kc.updateKey(id, bad({ state: 'blocked' }), o.actor),
    ],
    [
      'updateKey: unknown config field',
      'validation',
      () => kc.updateKey(id, bad({ config: { x: 1 } }), o.actor),
    ],
    [
      'updateKey: permissions by organisation',
      'forbidden',
      () => kc.updateKey(id, { permissions: [] }, o.actor),
    ],
    ['updateKey: foreign', 'not_found', () => kc.updateKey(id, { name: 'x' }, foreign)],
    ['updateKey: past expiry', 'validation', () => kc.updateKey(id, { expiresAt: 5 }, ADMIN)],
    ['rotateKey: bad force', 'validation', () => kc.rotateKey(id, bad({ force: 'yes' }), o.actor)],
    [
      'rotateKey: bad slot',
      'validation',
      () => kc.rotateKey(id, bad({ slot: 'tertiary' }), o.actor),
    ],
    ['rotateKey: unknown key', 'not_found', () => kc.rotateKey(unknownKey, {}, ADMIN)],
    ['rotateKey: foreign', 'not_found', () => kc.rotateKey(id, {}, foreign)],
    ['regenerateKey: bad slot', 'validation', () => kc.regenerateKey(id, bad('PRIMARY'), o.actor)],
    ['regenerateKey: foreign', 'not_found', () => kc.regenerateKey(id, 'primary', foreign)],
    [
      'deactivateKey: bad option',
      'validation',
      () => kc.deactivateKey(id, o.actor, bad({ allowLockout: 1 })),
    ],
    ['deactivateKey: foreign', 'not_found', () => kc.deactivateKey(id, foreign)],
    ['activateKey: foreign', 'not_found', () => kc.activateKey(id, foreign)],
    ['blockKey: unknown key', 'not_found', () => kc.blockKey(unknownKey, ADMIN)],
    ['unblockKey: not blocked', 'invalid_transition', () => kc.unblockKey(id, ADMIN)],
    ['extendKey: string date', 'validation', () => kc.extendKey(id, bad('tomorrow'), ADMIN)],
    ['resolveConfig: malformed ID', 'validation', () => kc.resolveConfig('x')],
    ['resolveConfig: unknown ID', 'not_found', () => kc.resolveConfig(unknownKey)],
    ['expireDue: limit 0', 'validation', () => kc.expireDue({ limit: 0 })],
    ['expireDue: unknown option', 'validation', () => kc.expireDue(bad({ max: 5 }))],
  ]

  it.each(calls)('%s → %s, and nothing changes', async (_name, code, run) => {
    const before = JSON.stringify(store.snapshot())
    const error = await run().then(
      () => 'resolved',
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(KeycycleError)
    expect(error).toMatchObject({ code })
    expect(JSON.stringify(store.snapshot())).toBe(before)
  })

  it('verify answers malformed for non-strings instead of throwing', async () => {
    for (const token of [undefined, null, 42, {}, '']) {
      expect(await kc.verify(bad(token))).toEqual({ ok: false, code: 'malformed' })
    }
  })
})

describe('bad options', () => {
  const store = setup().store
  it.each([
    ['no store', {}],
    ['store missing methods', { store: { getOrganisation: async () => null } }],
    ['bad prefix', { store, tokenPrefix: 'KC!' }],
    ['negative grace', { store, gracePeriodMs: -1 }],
    ['fractional trial length', { store, trialDurationMs: 1.5 }],
    ['short pepper', { store, pepper: 'tiny' }],
    ['zero attempts', { store, maxAttempts: 0 }],
  ])('%s → validation', (_name, options) => {
    expect(() => createKeycycle(options as never)).toThrow(KeycycleError)
  })

  it('refuses a clock that returns nonsense', async () => {
    const { kc } = setup({ clock: { now: () => Number.NaN } })
    await expect(kc.createOrganisation()).rejects.toMatchObject({ code: 'validation' })
  })

  it('refuses an organisation actor as a stand-in for another organisation', async () => {
    const { kc } = setup()
    const o = await newOrg(kc)
    await expect(kc.getKey(o.key.id, org('org_01JAAAAAAAAAAAAAAAAAAAAAAA'))).rejects.toMatchObject({
      code: 'not_found',
      message: `key ${o.key.id} not found`,
    })
  })
})
