import { memoryStore } from '../../adapters/memory'
import { describeStore } from '../conformance/store-suite'

describeStore({
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
})
