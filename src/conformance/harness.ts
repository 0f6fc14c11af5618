import type { KeyStore } from '../store'

/** One opened backend namespace, fresh and empty, that a suite run owns until `close`. */
export interface OpenStore {
  /** The store under test. */
  store: KeyStore
  /**
   * Independent clients (connections, pools, processes' worth of state) over the same data,
   * for the concurrency tests; may include `store`. At least one.
   */
  clients: KeyStore[]
  /**
   * Everything persisted, as text, read through a path that bypasses the adapter (raw SQL,
   * raw Redis commands), so a lost field or a stored secret cannot hide behind the adapter.
   */
  dump(): Promise<string>
  /** Releases the namespace: drops what it wrote, closes what it opened. */
  close(): Promise<void>
}

/**
 * How the suite reaches a backend. `O` is the harness's own kind of {@link OpenStore}, for
 * extras that need more than the port (a raw client, a pool).
 *
 * @example
 * ```ts
 * const harness: StoreHarness = {
 *   name: 'memory',
 *   async open() {
 *     const store = memoryStore()
 *     return {
 *       store,
 *       clients: [store],
 *       dump: async () => JSON.stringify(store.snapshot()),
 *       close: async () => {},
 *     }
 *   },
 * }
 * ```
 */
export interface StoreHarness<O extends OpenStore = OpenStore> {
  /** Shown in test names, e.g. `postgres`. */
  name: string
  /** Opens a fresh, empty namespace (a new table prefix, key prefix, database). */
  open(): Promise<O>
  /** Concurrent force-rotations of one key in the concurrency test. Default 100. */
  rotations?: number
  /**
   * Whether the store offers the optional change channel, `KeyStore.watch`. Default `true`:
   * the channel's tests run, and fail for a store without one, naming this option. `false`
   * reports them skipped (through the runner's `it.skip`) and checks instead that no client
   * has `watch`, so the declaration cannot hide a channel that exists.
   */
  watch?: boolean
}
