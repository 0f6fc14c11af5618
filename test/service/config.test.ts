import { describe, expect, it } from 'vitest'
import { newOrg, setup } from '../helpers/setup'

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
