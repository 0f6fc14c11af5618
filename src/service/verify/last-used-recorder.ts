import { KeycycleError } from '../../core/errors'
import type { RecordedUse } from '../../core/last-used'

/**
 * Writes one key's recorded usage (one compare-and-set, merging with what is stored); rejects
 * with `not_found` when the key is gone.
 */
export type WriteRecordedUse = (keyId: string, usage: RecordedUse) => Promise<void>

/**
 * Last-used times and pepper re-digests, recorded in memory by successful verifications and
 * written behind: never a store write on the request path; at most one coalesced
 * compare-and-set per key per flush. A lost race re-reads and merges (times only move forward);
 * a key deleted meanwhile is dropped; a fault keeps the key's usage for the next flush.
 */
export class LastUsedRecorder {
  private pending = new Map<string, RecordedUse>()
  private timer: ReturnType<typeof setInterval> | null = null
  private flushing: Promise<void> | null = null

  constructor(
    private readonly write: WriteRecordedUse,
    private readonly flushMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Notes that the token stored as `digest` verified at `at`; `redigest` replaces its digest. */
  record(keyId: string, digest: string, at: number, redigest: string | null): void {
    let usage = this.pending.get(keyId)
    if (usage === undefined) {
      usage = { uses: new Map(), redigest: new Map() }
      this.pending.set(keyId, usage)
    }
    if ((usage.uses.get(digest) ?? Number.NEGATIVE_INFINITY) < at) usage.uses.set(digest, at)
    if (redigest !== null) usage.redigest.set(digest, redigest)
    if (this.timer === null && this.flushMs > 0) {
      this.timer = setInterval(() => void this.flush().catch(this.onError), this.flushMs)
      ;(this.timer as { unref?: () => void }).unref?.()
    }
  }

  /** Writes what is pending, one compare-and-set per key. Concurrent calls share one run. */
  flush(): Promise<void> {
    this.flushing ??= this.run().finally(() => {
      this.flushing = null
    })
    return this.flushing
  }

  /** Flushes and stops the timer. */
  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
    await this.flush()
  }

  private async run(): Promise<void> {
    const batch = this.pending
    this.pending = new Map()
    const failures: unknown[] = []
    for (const [keyId, usage] of batch) {
      try {
        await this.write(keyId, usage)
      } catch (error) {
        if (error instanceof KeycycleError && error.code === 'not_found') continue
        this.merge(keyId, usage)
        failures.push(error)
      }
    }
    if (failures.length > 0) throw failures[0]
  }

  // Puts usage that could not be written back, merged with anything recorded since.
  private merge(keyId: string, usage: RecordedUse): void {
    for (const [digest, at] of usage.uses) this.record(keyId, digest, at, null)
    const into = this.pending.get(keyId)!
    for (const [digest, next] of usage.redigest) into.redigest.set(digest, next)
  }
}
