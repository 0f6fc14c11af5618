import { describe, expect, it } from 'vitest'
import { ADMIN, newOrg, org, setup } from '../helpers/setup'

describe('configuration overrides through the service', () => {
  it('resolves key → organisation → default, and null reverts to the organisation default', async () => {
    const { kc } = setup()
    const o = await newOrg(kc)
    await kc.as(o.actor).updateOrganisation(o.id, { storageConfig: 1, webhookConfig: 'hooks-prod' })
    const created = await kc.as(o.actor).createKey({ organisation: o.id, storageConfig: 2 })
    expect(created.key.storageConfig).toBe(2)
    expect(await kc.resolveConfig(created.key.id)).toEqual({
      storageConfig: { value: 2, source: 'key' },
      webhookConfig: { value: 'hooks-prod', source: 'organisation' },
      publishSourceFiles: { value: false, source: 'default' },
      rateLimits: { value: [], source: 'default' },
      allowedIps: { value: null, source: 'default' },
    })
    const reverted = await kc.as(o.actor).updateKey(created.key.id, { storageConfig: null })
    expect(reverted.storageConfig).toBeNull()
    expect((await kc.resolveConfig(created.key.id)).storageConfig).toEqual({
      value: 1,
      source: 'organisation',
    })
  })

  it('leaves absent fields alone on update', async () => {
    const { kc } = setup()
    const o = await newOrg(kc)
    const created = await kc.as(o.actor).createKey({
      organisation: o.id,
      storageConfig: 2,
      webhookConfig: 3,
      config: { publishSourceFiles: true },
    })
    const updated = await kc.as(o.actor).updateKey(created.key.id, { webhookConfig: 4 })
    expect(updated).toMatchObject({
      storageConfig: 2,
      webhookConfig: 4,
      config: { publishSourceFiles: true },
    })
  })

  it('follows an organisation default change on every non-overriding key without writing to them', async () => {
    const { kc, events } = setup()
    const o = await newOrg(kc)
    const plain = await kc.as(o.actor).createKey({ organisation: o.id })
    const own = await kc
      .as(o.actor)
      .createKey({ organisation: o.id, config: { publishSourceFiles: false } })
    await kc.drainEvents()
    const eventsBefore = events.length
    await kc.as(o.actor).updateOrganisation(o.id, { config: { publishSourceFiles: true } })
    await kc.drainEvents()
    // One event for the organisation, none for its keys: they were not written.
    expect(events.slice(eventsBefore)).toMatchObject([
      { type: 'organisation.updated', changed: ['config'] },
    ])
    expect((await kc.resolveConfig(plain.key.id)).publishSourceFiles).toEqual({
      value: true,
      source: 'organisation',
    })
    expect((await kc.resolveConfig(own.key.id)).publishSourceFiles).toEqual({
      value: false,
      source: 'key',
    })
    expect((await kc.as(o.actor).getKey(plain.key.id)).version).toBe(plain.key.version)
    const verified = await kc.verify(plain.token)
    expect(verified.ok && verified.config.publishSourceFiles.value).toBe(true)
  })

  it('keeps config IDs as given: 2 stays a number, "2" a string', async () => {
    const { kc } = setup()
    const o = await newOrg(kc)
    const a = await kc
      .as(o.actor)
      .createKey({ organisation: o.id, storageConfig: 2, webhookConfig: '2' })
    const read = await kc.as(o.actor).getKey(a.key.id)
    expect(read.storageConfig).toBe(2)
    expect(read.webhookConfig).toBe('2')
  })

  it('reports a no-op update without a write or an event', async () => {
    const { kc, events } = setup()
    const o = await newOrg(kc)
    const created = await kc.as(o.actor).createKey({ organisation: o.id, name: 'ci' })
    await kc.drainEvents()
    const count = events.length
    const same = await kc.as(o.actor).updateKey(created.key.id, { name: 'ci' })
    expect(same.version).toBe(created.key.version)
    await kc.drainEvents()
    expect(events.length).toBe(count)
  })
})

describe('usage control through the service', () => {
  const api = { name: 'api', limit: 100, windowMs: 60_000 }
  const shared = { name: 'shared', limit: 1000, windowMs: 60_000, scope: 'organisation' as const }

  it('inherits the organisation’s rate limits and allow-list, with the source of each', async () => {
    const { kc } = setup()
    const created = await kc.createOrganisation({
      rateLimits: [shared],
      allowedIps: ['192.0.2.0/24'],
    })
    const keyId = created.key.id
    expect(created.organisation).toMatchObject({
      rateLimits: [shared],
      allowedIps: ['192.0.2.0/24'],
    })
    expect(await kc.resolveConfig(keyId)).toMatchObject({
      rateLimits: { value: [shared], source: 'organisation' },
      allowedIps: { value: ['192.0.2.0/24'], source: 'organisation' },
    })
    const admin = kc.as(ADMIN)
    await admin.updateKey(keyId, { rateLimits: [api], allowedIps: ['10.0.0.1'] })
    expect(await kc.resolveConfig(keyId)).toMatchObject({
      rateLimits: { value: [{ ...api, scope: 'key' }], source: 'key' },
      allowedIps: { value: ['10.0.0.1'], source: 'key' },
    })
    // No limits of its own, whatever the organisation's.
    await admin.updateKey(keyId, { rateLimits: [], allowedIps: null })
    expect(await kc.resolveConfig(keyId)).toMatchObject({
      rateLimits: { value: [], source: 'key' },
      allowedIps: { value: ['192.0.2.0/24'], source: 'organisation' },
    })
    await admin.updateOrganisation(created.organisation.id, { rateLimits: null, allowedIps: null })
    await admin.updateKey(keyId, { rateLimits: null })
    expect(await kc.resolveConfig(keyId)).toMatchObject({
      rateLimits: { value: [], source: 'default' },
      allowedIps: { value: null, source: 'default' },
    })
    // The organisation reads them all.
    const read = await kc.as(org(created.organisation.id)).getKey(keyId)
    expect(read).toMatchObject({ rateLimits: null, credits: null, allowedIps: null })
  })

  it('lets only admins set them: an organisation is refused on create, update and its own defaults', async () => {
    const { kc } = setup()
    const o = await newOrg(kc)
    const own = kc.as(o.actor)
    const attempts = [
      () => own.createKey({ credits: { remaining: 10 } }),
      () => own.createKey({ rateLimits: [] }),
      () => own.updateKey(o.key.id, { allowedIps: ['10.0.0.0/8'] }),
      () => own.updateKey(o.key.id, { credits: null }),
      () => own.updateOrganisation(o.id, { rateLimits: [shared] }),
      () => own.updateOrganisation(o.id, { allowedIps: null }),
    ]
    for (const attempt of attempts) {
      await expect(attempt()).rejects.toMatchObject({ code: 'forbidden' })
    }
    expect((await own.getKey(o.key.id)).version).toBe(o.key.version)
    const made = await kc.as(ADMIN).createKey({
      organisation: o.id,
      credits: { remaining: 10, refill: { amount: 10, intervalMs: 3_600_000 } },
    })
    expect(made.key.credits).toEqual({
      remaining: 10,
      refill: { amount: 10, intervalMs: 3_600_000 },
    })
  })

  it('announces an admin’s change of limits or credits as key.updated, and of defaults as organisation.updated', async () => {
    const { kc, events } = setup()
    const o = await newOrg(kc)
    const admin = kc.as(ADMIN)
    await kc.drainEvents()
    const before = events.length
    await admin.updateKey(o.key.id, { credits: { remaining: 100 }, rateLimits: [api] })
    await admin.updateKey(o.key.id, { credits: { remaining: 100 } }) // a new balance, the same number
    await admin.updateKey(o.key.id, { rateLimits: [api] }) // unchanged: no write, no event
    await admin.updateKey(o.key.id, { allowedIps: ['10.0.0.0/8'] })
    await admin.updateOrganisation(o.id, { rateLimits: [shared], allowedIps: ['10.0.0.0/8'] })
    await kc.drainEvents()
    expect(events.slice(before)).toMatchObject([
      { type: 'key.updated', changed: ['rateLimits', 'credits'] },
      { type: 'key.updated', changed: ['credits'] },
      { type: 'key.updated', changed: ['allowedIps'] },
      { type: 'organisation.updated', changed: ['rateLimits', 'allowedIps'] },
    ])
  })

  it('keeps them through rotation (grace and forced) and regeneration', async () => {
    const { kc } = setup()
    const o = await newOrg(kc)
    const admin = kc.as(ADMIN)
    const set = await admin.updateKey(o.key.id, {
      rateLimits: [api],
      credits: { remaining: 5 },
      allowedIps: ['10.0.0.0/8'],
    })
    const usage = ({ rateLimits, credits, allowedIps }: typeof set) => ({
      rateLimits,
      credits,
      allowedIps,
    })
    const after = [
      (await admin.rotateKey(o.key.id)).key,
      (await admin.rotateKey(o.key.id, { force: true })).key,
      (await admin.regenerateKey(o.key.id, 'primary')).key,
      (await admin.regenerateKey(o.key.id, 'secondary')).key,
    ]
    for (const key of after) expect(usage(key)).toEqual(usage(set))
  })
})
