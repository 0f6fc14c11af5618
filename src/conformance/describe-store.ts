import { analyticsSuite } from './analytics-suite'
import { capabilitiesSuite } from './capabilities-suite'
import { deliverySuite } from './delivery-suite'
import type { OpenStore, StoreHarness } from './harness'
import { importSuite } from './import-suite'
import { leakSuite } from './leak-suite'
import { outboxSuite } from './outbox-suite'
import { portSuite } from './port-suite'
import type { TestFunction, TestRunner } from './runner'
import { serviceSuite } from './service-suite'
import { signingSuite } from './signing-suite'
import type { StoreSuiteContext } from './suite-context'
import { usageSuite } from './usage-suite'
import { valuesSuite } from './values-suite'
import { verifyUsageSuite } from './verify-usage-suite'
import { watchSuite } from './watch-suite'

/** The runner's functions, plus what a store adds. */
export interface DescribeStoreOptions<O extends OpenStore = OpenStore> extends TestRunner {
  /**
   * Tests of this store's own, declared inside the store's `describe` after the shared ones,
   * with the same context (unstorage's `additionalTests`).
   */
  extras?: (context: StoreSuiteContext<O>) => void
  /** Passed to every `it` and hook as its timeout, in ms. Default: the runner's own. */
  timeoutMs?: number
}

/**
 * The conformance suite every store must pass unchanged: the `KeyStore` contract checked
 * directly (round trips, absence, compare-and-set under concurrency, lists, due keys), then the
 * whole service run over the store (key life, paging, expiry, races, no secret at rest), the
 * outbox, the usage counters (exact spends under concurrency, all or nothing,
 * version-checked, each answer the one `spendCounters` gives), leaked tokens reported, and
 * usage analytics (atomic increments summing across clients, counts by outcome and hour,
 * retention), and imported keys (the digest index following the records). Each
 * run opens one fresh namespace per suite (or per test, without `beforeAll`/`afterAll`) and
 * closes it afterwards. The suite imports no test runner: pass Vitest's or Jest's functions.
 * A section that does not apply to the store (the change channel, for a harness declaring
 * `watch: false`) is reported skipped through the runner's `it.skip`, never as passed.
 *
 * @example
 * ```ts
 * // my-store.test.ts, in a store package of your own
 * import { describeStore } from 'keycycle/conformance'
 * import { afterAll, beforeAll, describe, expect, it } from 'vitest'
 *
 * describeStore(
 *   {
 *     name: 'my store',
 *     async open() {
 *       const store = myStore({ namespace: crypto.randomUUID() })
 *       return { store, clients: [store], dump: () => store.rawDump(), close: () => store.drop() }
 *     },
 *   },
 *   { describe, it, expect, beforeAll, afterAll },
 * )
 * ```
 */
export function describeStore<O extends OpenStore>(
  harness: StoreHarness<O>,
  options: DescribeStoreOptions<O>,
): void {
  const { extras, timeoutMs, ...runner } = options
  type Hook = NonNullable<TestRunner['beforeAll']>
  // The caller's timeout on every `it` and hook, or none (the runner's default).
  const hook = (register: Hook, fn: TestFunction) =>
    timeoutMs === undefined ? register(fn) : register(fn, timeoutMs)
  const it = (name: string, fn: TestFunction) =>
    timeoutMs === undefined ? runner.it(name, fn) : runner.it(name, fn, timeoutMs)
  // Reported skipped, never run; the body only satisfies the runner's signature.
  const skipped = async () => {}
  const skip = (name: string) =>
    timeoutMs === undefined
      ? runner.it.skip?.(name, skipped)
      : runner.it.skip?.(name, skipped, timeoutMs)
  // The store's lifetime: the suite's when the runner has beforeAll/afterAll, else one per test.
  const around =
    runner.beforeAll && runner.afterAll
      ? { before: runner.beforeAll, after: runner.afterAll }
      : runner.beforeEach && runner.afterEach
        ? { before: runner.beforeEach, after: runner.afterEach }
        : undefined

  runner.describe(`${harness.name} store`, () => {
    let shared: O | undefined
    if (around) {
      hook(around.before, async () => {
        shared = await harness.open()
      })
      hook(around.after, async () => {
        const opened = shared
        shared = undefined
        await opened?.close()
      })
    }
    const context: StoreSuiteContext<O> = {
      harness,
      runner,
      test(name, body) {
        it(name, async () => {
          if (around) {
            if (!shared) throw new Error(`${harness.name}: the store did not open`)
            return body(shared)
          }
          const opened = await harness.open()
          try {
            await body(opened)
          } finally {
            await opened.close()
          }
        })
      },
      skip(name, reason) {
        skip(`${name} [${reason}]`)
      },
    }
    runner.describe('port contract', () => portSuite(context))
    runner.describe('service over the store', () => serviceSuite(context))
    runner.describe('change channel (stores with watch)', () => watchSuite(context))
    runner.describe('key capabilities', () => capabilitiesSuite(context))
    runner.describe('extreme but valid values round-trip', () => valuesSuite(context))
    runner.describe('event outbox', () => outboxSuite(context))
    runner.describe('event delivery', () => deliverySuite(context))
    runner.describe('usage counters', () => usageSuite(context))
    runner.describe('usage control in verification', () => verifyUsageSuite(context))
    runner.describe('leaked tokens reported', () => leakSuite(context))
    runner.describe('signed requests', () => signingSuite(context))
    runner.describe('usage analytics', () => analyticsSuite(context))
    runner.describe('importing keys', () => importSuite(context))
    extras?.(context)
  })
}
