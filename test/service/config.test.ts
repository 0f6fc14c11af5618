import { describe, expect, it } from 'vitest'
import { newOrg, setup } from '../helpers/setup'

describe('configuration overrides through the service', () => {
  it('resolves key → organisation → default, and null reverts to the organisation default', async () => {
    const { kc } = setup()
    const o = await newOrg(kc)
    await kc.updateOrganisation(o.id, { storageConfig: 1, webhookConfig: 'hooks-prod' }, o.actor)
    const created = await kc.createKey({ organisation: o.id, storageConfig: 2 }, o.actor)
    expect(created.key.storageConfig).toBe(2)
    expect(await kc.resolveConfig(created.key.id)).toEqual({
      storageConfig: { value: 2, source: 'key' },
      webhookConfig: { value: 'hooks-prod', source: 'organisation' },
      publishSourceFiles: { value: false, source: 'default' },
    })
    const reverted = await kc.updateKey(created.key.id, { storageConfig: null }, o.actor)
    expect(reverted.storageConfig).toBeNull()
    expect((await kc.resolveConfig(created.key.id)).storageConfig).toEqual({
      value: 1,
      source: 'organisation',
    })
  })

  it('leaves absent fields alone on update', async () => {
    const { kc } = setup()
    const o = await newOrg(kc)
    const created = await kc.createKey(
      {
        organisation: o.id,
        storageConfig: 2,
        webhookConfig: 3,
        config: { publishSourceFiles: true },
      },
      o.actor,
    )
    const updated = await kc.updateKey(created.key.id, { webhookConfig: 4 }, o.actor)
    expect(updated).toMatchObject({
      storageConfig: 2,
      webhookConfig: 4,
      config: { publishSourceFiles: true },
    })
  })

  it('follows an organisation default change on every non-overriding key without writing to them', async () => {
    const { kc, events } = setup()
    const o = await newOrg(kc)
    const plain = await kc.createKey({ organisation: o.id }, o.actor)
    const own = await kc.createKey(
      { organisation: o.id, config: { publishSourceFiles: false } },
      o.actor,
    )
    const eventsBefore = events.length
    await kc.updateOrganisation(o.id, { config: { publishSourceFiles: true } }, o.actor)
    expect((await kc.resolveConfig(plain.key.id)).publishSourceFiles).toEqual({
      value: true,
      source: 'organisation',
    })
    expect((await kc.resolveConfig(own.key.id)).publishSourceFiles).toEqual({
      value: false,
      source: 'key',
    })
    expect((await kc.getKey(plain.key.id, o.actor)).version).toBe(plain.key.version)
    expect(events.length).toBe(eventsBefore)
    const verified = await kc.verify(plain.token)
    expect(verified.ok && verified.config.publishSourceFiles.value).toBe(true)
  })

  it('keeps config IDs as given: 2 stays a number, "2" a string', async () => {
    const { kc } = setup()
    const o = await newOrg(kc)
    const a = await kc.createKey(
      { organisation: o.id, storageConfig: 2, webhookConfig: '2' },
      o.actor,
    )
    const read = await kc.getKey(a.key.id, o.actor)
    expect(read.storageConfig).toBe(2)
    expect(read.webhookConfig).toBe('2')
  })

  it('reports a no-op update without a write or an event', async () => {
    const { kc, events } = setup()
    const o = await newOrg(kc)
    const created = await kc.createKey({ organisation: o.id, name: 'ci' }, o.actor)
    const count = events.length
    const same = await kc.updateKey(created.key.id, { name: 'ci' }, o.actor)
    expect(same.version).toBe(created.key.version)
    expect(events.length).toBe(count)
  })
})
