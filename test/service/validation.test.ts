import { describe, expect, it } from 'vitest'
import { type Actor, createKeycycle, KeycycleError } from '../../src'
import { ADMIN, newOrg, setup } from '../helpers/setup'

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
    ['getOrganisation: malformed ID', 'not_found', () => kc.as(ADMIN).getOrganisation('nope')],
    ['getOrganisation: admin names none', 'validation', () => kc.as(ADMIN).getOrganisation()],
    ['getOrganisation: unknown ID', 'not_found', () => kc.as(ADMIN).getOrganisation(unknownOrg)],
    ['getOrganisation: foreign', 'not_found', () => kc.as(foreign).getOrganisation(o.id)],
    [
      'updateOrganisation: wrong type',
      'validation',
      () => kc.as(o.actor).updateOrganisation(o.id, bad({ webhookConfig: true })),
    ],
    [
      'updateOrganisation: foreign',
      'not_found',
      () => kc.as(foreign).updateOrganisation(o.id, { storageConfig: 9 }),
    ],
    ['createKey: admin names no organisation', 'validation', () => kc.as(ADMIN).createKey({})],
    [
      'createKey: malformed organisation',
      'not_found',
      () => kc.as(ADMIN).createKey({ organisation: 'org_1' }),
    ],
    [
      'createKey: non-string organisation',
      'validation',
      () => kc.as(ADMIN).createKey(bad({ organisation: 7 })),
    ],
    [
      'createKey: unknown config field',
      'validation',
      () => kc.as(o.actor).createKey(bad({ organisation: o.id, config: { publish: true } })),
    ],
    [
      'createKey: config not boolean',
      'validation',
      () =>
        kc
          .as(o.actor)
          .createKey(bad({ organisation: o.id, config: { publishSourceFiles: 'yes' } })),
    ],
    [
      'createKey: unknown field',
      'validation',
      () => kc.as(o.actor).createKey(bad({ organisation: o.id, owner: 'x' })),
    ],
    [
      'createKey: foreign organisation',
      'not_found',
      () => kc.as(foreign).createKey({ organisation: o.id }),
    ],
    [
      'createKey: unknown organisation',
      'not_found',
      () => kc.as(ADMIN).createKey({ organisation: unknownOrg }),
    ],
    [
      'createKey: admin field by organisation',
      'forbidden',
      () => kc.as(o.actor).createKey({ organisation: o.id, permissions: ['x'] }),
    ],
    [
      'createKey: past expiry',
      'validation',
      () => kc.as(ADMIN).createKey({ organisation: o.id, expiresAt: 1 }),
    ],
    [
      'createKey: bad type',
      'validation',
      () => kc.as(ADMIN).createKey(bad({ organisation: o.id, type: 'gold' })),
    ],
    [
      'createKey: bad permission',
      'validation',
      () => kc.as(ADMIN).createKey({ organisation: o.id, permissions: ['has space'] }),
    ],
    [
      'createKey: name too long',
      'validation',
      () => kc.as(o.actor).createKey({ organisation: o.id, name: 'x'.repeat(256) }),
    ],
    ['getKey: malformed ID', 'not_found', () => kc.as(o.actor).getKey('key_1')],
    ['getKey: non-string ID', 'validation', () => kc.as(o.actor).getKey(bad(42))],
    ['getKey: unknown ID', 'not_found', () => kc.as(o.actor).getKey(unknownKey)],
    ['getKey: foreign', 'not_found', () => kc.as(foreign).getKey(id)],
    [
      'listKeys: limit 0',
      'validation',
      () => kc.as(o.actor).listKeys({ organisation: o.id, limit: 0 }),
    ],
    [
      'listKeys: limit 101',
      'validation',
      () => kc.as(o.actor).listKeys({ organisation: o.id, limit: 101 }),
    ],
    [
      'listKeys: limit 1.5',
      'validation',
      () => kc.as(o.actor).listKeys({ organisation: o.id, limit: 1.5 }),
    ],
    [
      'listKeys: both cursors',
      'validation',
      () => kc.as(o.actor).listKeys({ organisation: o.id, startingAfter: id, endingBefore: id }),
    ],
    [
      'listKeys: bad cursor',
      'validation',
      () => kc.as(o.actor).listKeys({ organisation: o.id, startingAfter: 'x' }),
    ],
    [
      'listKeys: bad state',
      'validation',
      () => kc.as(o.actor).listKeys(bad({ organisation: o.id, state: 'gone' })),
    ],
    ['listKeys: foreign', 'not_found', () => kc.as(foreign).listKeys({ organisation: o.id })],
    [
      'updateKey: unknown field',
      'validation',
      () => kc.as(o.actor).updateKey(id, bad({ state: 'blocked' })),
    ],
    [
      'updateKey: unknown config field',
      'validation',
      () => kc.as(o.actor).updateKey(id, bad({ config: { x: 1 } })),
    ],
    [
      'updateKey: permissions by organisation',
      'forbidden',
      () => kc.as(o.actor).updateKey(id, { permissions: [] }),
    ],
    ['updateKey: foreign', 'not_found', () => kc.as(foreign).updateKey(id, { name: 'x' })],
    ['updateKey: past expiry', 'validation', () => kc.as(ADMIN).updateKey(id, { expiresAt: 5 })],
    [
      'rotateKey: bad force',
      'validation',
      () => kc.as(o.actor).rotateKey(id, bad({ force: 'yes' })),
    ],
    [
      'rotateKey: bad slot',
      'validation',
      () => kc.as(o.actor).rotateKey(id, bad({ slot: 'tertiary' })),
    ],
    ['rotateKey: unknown key', 'not_found', () => kc.as(ADMIN).rotateKey(unknownKey, {})],
    ['rotateKey: foreign', 'not_found', () => kc.as(foreign).rotateKey(id, {})],
    [
      'regenerateKey: bad slot',
      'validation',
      () => kc.as(o.actor).regenerateKey(id, bad('PRIMARY')),
    ],
    ['regenerateKey: foreign', 'not_found', () => kc.as(foreign).regenerateKey(id, 'primary')],
    [
      'deactivateKey: bad option',
      'validation',
      () => kc.as(o.actor).deactivateKey(id, bad({ allowLockout: 1 })),
    ],
    ['deactivateKey: foreign', 'not_found', () => kc.as(foreign).deactivateKey(id)],
    ['activateKey: foreign', 'not_found', () => kc.as(foreign).activateKey(id)],
    ['blockKey: unknown key', 'not_found', () => kc.as(ADMIN).blockKey(unknownKey)],
    ['unblockKey: not blocked', 'invalid_transition', () => kc.as(ADMIN).unblockKey(id)],
    ['extendKey: string date', 'validation', () => kc.as(ADMIN).extendKey(id, bad('tomorrow'))],
    [
      'extendKey: Invalid Date',
      'validation',
      () => kc.as(ADMIN).extendKey(id, new Date('tomorrow')),
    ],
    [
      'createKey: Invalid Date',
      'validation',
      () => kc.as(ADMIN).createKey({ organisation: o.id, expiresAt: new Date(Number.NaN) }),
    ],
    [
      'updateKey: Invalid Date',
      'validation',
      () => kc.as(ADMIN).updateKey(id, { expiresAt: new Date('') }),
    ],
    ['resolveConfig: malformed ID', 'not_found', () => kc.resolveConfig('x')],
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
      expect(await kc.verify(bad(token))).toMatchObject({ ok: false, code: 'malformed' })
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

  it.each([
    ['no actor', undefined],
    ['unknown kind', { kind: 'root', id: 'x' }],
    ['organisation actor without an organisation ID', { kind: 'organisation', id: 'acme' }],
    ['admin without an ID', { kind: 'admin', id: '' }],
    ['extra field', { kind: 'admin', id: 'ops', role: 'x' }],
  ])('refuses a handle for %s when it is made, before any call', (_name, actor) => {
    const { kc } = setup()
    expect(() => kc.as(actor as never)).toThrow(expect.objectContaining({ code: 'validation' }))
  })

  it('refuses a clock that returns nonsense', async () => {
    const { kc } = setup({ clock: { now: () => Number.NaN } })
    await expect(kc.createOrganisation()).rejects.toMatchObject({ code: 'validation' })
  })

  it('refuses an organisation actor as a stand-in for another organisation', async () => {
    const { kc } = setup()
    const o = await newOrg(kc)
    await expect(
      kc.asOrganisation('org_01JAAAAAAAAAAAAAAAAAAAAAAA').getKey(o.key.id),
    ).rejects.toMatchObject({
      code: 'not_found',
      message: `key ${o.key.id} not found`,
    })
  })
})
