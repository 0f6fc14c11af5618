/**
 * `keycycle/conformance`: the suite every `KeyStore` must pass unchanged, for any test runner,
 * and the fixtures it is built from.
 *
 * @example
 * ```ts
 * import { describeStore } from 'keycycle/conformance'
 * import { memoryStore } from 'keycycle/memory'
 * import { afterAll, beforeAll, describe, expect, it } from 'vitest'
 *
 * describeStore(
 *   {
 *     name: 'memory',
 *     async open() {
 *       const store = memoryStore()
 *       const dump = async () => JSON.stringify(store.snapshot())
 *       return { store, clients: [store], dump, close: async () => {} }
 *     },
 *   },
 *   { describe, it, expect, beforeAll, afterAll },
 * )
 * ```
 *
 * @module
 */
export type { DescribeStoreOptions } from './describe-store'
export { describeStore } from './describe-store'
export type { ManualClock } from './fixtures'
export {
  ADMIN,
  DAY,
  fakeDigest,
  HOUR,
  keyRecord,
  manualClock,
  randomBytes,
  T0,
} from './fixtures'
export type { OpenStore, StoreHarness } from './harness'
export type { Assertion, Expect, TestDeclaration, TestFunction, TestRunner } from './runner'
export type { StoreSuiteContext } from './suite-context'
