import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../adapters/memory'
import { describeStore, type StoreHarness } from '../../src/conformance'
import { vitestRunner } from '../helpers/vitest-runner'

const harness: StoreHarness = {
  name: 'memory',
  rotations: 200,
  async open() {
    const store = memoryStore()
    return {
      store,
      clients: [store],
      dump: async () => JSON.stringify(store.snapshot()),
      close: async () => {},
    }
  },
}

describeStore(harness, vitestRunner)

// The suite also runs on a runner with no hooks at all: it then opens a store per test.
describeStore({ ...harness, name: 'memory, without hooks' }, { describe, it, expect })

describe('memory store records', () => {
  it('cannot be changed by a caller: neither what was written nor what a read returns', async () => {
    const { keyRecord } = await import('../../src/conformance/fixtures')
    const { newOrganisation } = await import('../../src/core/organisations')
    const store = memoryStore()
    const key = keyRecord()
    const organisation = newOrganisation({}, key.organisation, { kind: 'system' }, key.createdAt)
    expect(await store.insertOrganisation(organisation, key)).toBe(true)
    key.name = 'changed after writing'
    key.permissions.push('admin')
    const read = (await store.getKeyWithOrganisation(key.id))!
    expect(read.key.name).toBeNull()
    expect(read.key.permissions).toEqual([])
    expect(() => {
      read.key.permissions.push('admin')
    }).toThrow(TypeError)
    expect(() => {
      ;(read.organisation as { version: number }).version = 99
    }).toThrow(TypeError)
    expect((await store.getKeyWithOrganisation(key.id))!.key.permissions).toEqual([])
  })
})
