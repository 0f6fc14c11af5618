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
