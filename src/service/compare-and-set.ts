import { KeycycleError } from '../core/errors'
import type { Runtime } from './runtime'

/** One turn of a read-decide-write cycle: what was read, and what to write instead. */
export interface CasStep<S, W> {
  /** Reads the current state afresh (each attempt). */
  read(): Promise<S>
  /**
   * Decides on what was read at `now`: the record to write with the version it replaces, or
   * null to write nothing. May throw (a refused transition), which ends the cycle.
   */
  decide(current: S, now: number): { write: W; expectedVersion: number } | null
  /**
   * The store's compare-and-set: true when this writer won. Given what this attempt read and
   * the instant it decided at, for what the write carries besides the record (its events).
   */
  write(next: W, expectedVersion: number, current: S, now: number): Promise<boolean>
}

/** What a cycle ended with. `written` is false when `decide` chose to write nothing. */
export interface CasOutcome<S, W> {
  current: S
  decision: W | null
  now: number
  written: boolean
}

/**
 * The one compare-and-set loop of the service, for keys and organisations alike: read, decide,
 * write if the version is unchanged, and on a lost race decide again on a fresh read, up to
 * `maxAttempts` times with jittered, growing pauses. Throws `conflict` when every attempt lost.
 */
export async function compareAndSet<S, W>(
  rt: Runtime,
  what: string,
  step: CasStep<S, W>,
): Promise<CasOutcome<S, W>> {
  for (let attempt = 1; attempt <= rt.maxAttempts; attempt++) {
    const current = await step.read()
    const now = rt.now()
    const decision = step.decide(current, now)
    if (decision === null) return { current, decision: null, now, written: false }
    if (await step.write(decision.write, decision.expectedVersion, current, now)) {
      return { current, decision: decision.write, now, written: true }
    }
    if (attempt < rt.maxAttempts) await backoff(rt, attempt)
  }
  throw new KeycycleError('conflict', `${what} was changed concurrently; try again`)
}

// Jittered, growing pause so that a crowd of writers losing the same race spreads out.
function backoff(rt: Runtime, attempt: number): Promise<void> {
  const ms = (rt.bytes(1)[0]! % (1 << Math.min(attempt, 6))) + 1
  return new Promise((resolve) => setTimeout(resolve, ms))
}
