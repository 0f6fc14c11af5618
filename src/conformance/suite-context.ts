import type { OpenStore, StoreHarness } from './harness'
import type { TestRunner } from './runner'

/** What the suite's parts, and a store's own extras, are given. */
export interface StoreSuiteContext<O extends OpenStore = OpenStore> {
  harness: StoreHarness<O>
  /** The runner functions {@link describeStore} was given. */
  runner: TestRunner
  /**
   * Declares a test that receives an open store: the suite's one when the runner has
   * `beforeAll`/`afterAll`, else one per test (`beforeEach`/`afterEach`, or opened and closed
   * around the body).
   */
  test(name: string, body: (opened: O) => Promise<void>): void
  /**
   * Declares a test that does not apply to this store, reported skipped through the runner's
   * `it.skip` as `<name> [<reason>]`; declares nothing on a runner without `it.skip`.
   */
  skip(name: string, reason: string): void
}
