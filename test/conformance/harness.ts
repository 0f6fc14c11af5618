import type { KeyStore } from '../../src/store'

/** One opened backend namespace, fresh and empty, that a suite run owns until `close`. */
export interface OpenStore {
  /** The store under test. */
  store: KeyStore
  /**
   * Independent clients (connections, pools, processes' worth of state) over the same data,
   * for the concurrency tests; may include `store`. At least one.
   */
  clients: KeyStore[]
  /** Everything persisted, as text, read through a path that bypasses the adapter. */
  dump(): Promise<string>
  close(): Promise<void>
}

/** How a suite reaches a backend. */
export interface StoreHarness {
  /** Shown in test names, e.g. `postgres`. */
  name: string
  open(): Promise<OpenStore>
  /** Concurrent force-rotations of one key in the concurrency test. */
  rotations: number
}

/**
 * Decides whether a backend's suite runs. Unreachable and not under CI: skipped with a loud
 * message. Unreachable under `CI=true`: the suite runs anyway and fails on connect, so a missing
 * server can never pass CI silently.
 */
export async function shouldRun(name: string, reachable: () => Promise<boolean>): Promise<boolean> {
  if (await reachable().catch(() => false)) return true
  if (process.env.CI === 'true') return true
  console.warn(
    `\n!!! ${name} is unreachable: its store suite is SKIPPED (set CI=true to fail instead)\n`,
  )
  return false
}
