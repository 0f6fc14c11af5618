import { afterAll, beforeAll, describe } from 'vitest'
import type { OpenStore, StoreHarness } from './harness'
import { portSuite } from './port-suite'
import { serviceSuite } from './service-suite'

/**
 * The conformance suite every store must pass unchanged: the port contract checked directly,
 * then the service run over the store. One fresh namespace per run, closed afterwards.
 */
export function describeStore(harness: StoreHarness): void {
  describe(`${harness.name} store`, () => {
    let opened: OpenStore | undefined
    const get = () => {
      if (!opened) throw new Error(`${harness.name}: the store did not open`)
      return opened
    }
    beforeAll(async () => {
      opened = await harness.open()
    })
    afterAll(async () => {
      await opened?.close()
    })
    describe('port contract', () => portSuite(get))
    describe('service over the store', () => serviceSuite(harness, get))
  })
}
