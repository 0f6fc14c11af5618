import { KeycycleError } from '../core/errors'
import { pause, retryPauseMs } from '../store/deadline'
import type { Bytes, Now } from './deps'

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

/** Runs one compare-and-set cycle; `what` names the record in the `conflict` message. */
export type CompareAndSet = <S, W>(what: string, step: CasStep<S, W>) => Promise<CasOutcome<S, W>>

/**
 * The one compare-and-set loop of the service, for keys and organisations alike: read, decide,
 * write if the version is unchanged, and on a lost race decide again on a fresh read, up to
 * `maxAttempts` times with the policy's jittered, growing pauses (`retryPauseMs`). The cycle
 * throws `conflict` when every attempt lost.
 */
export function compareAndSetLoop(maxAttempts: number, now: Now, bytes: Bytes): CompareAndSet {
  return async (what, step) => {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      const current = await step.read()
      const at = now()
      const decision = step.decide(current, at)
      if (decision === null) return { current, decision: null, now: at, written: false }
      if (await step.write(decision.write, decision.expectedVersion, current, at)) {
        return { current, decision: decision.write, now: at, written: true }
      }
      if (attempt < maxAttempts) await pause(retryPauseMs(attempt, bytes(1)[0]! / 256))
    }
    throw new KeycycleError('conflict', `${what} was changed concurrently; try again`)
  }
}
