import { hourOf, OUTCOME_INDEX, USAGE_OUTCOMES, type UsageCount } from '../../core/key-usage'
import type { VerifyResult } from '../../core/verify-result'
import type { KeyStore } from '../../store'

// One key's counts: the hour being counted, and the hours before it not yet written (a flush
// interval longer than an hour, or a clock moved by a test).
interface KeyTally {
  hour: number
  counts: number[]
  earlier: Map<number, number[]> | null
}

interface Batch {
  id: string
  counts: UsageCount[]
}

const emptyCounts = (): number[] => new Array<number>(USAGE_OUTCOMES.length).fill(0)

/**
 * Usage analytics, counted in memory by every verification and written behind with last use:
 * never a store write on the request path; one `addUsage` per flush for every key counted
 * since the last, each cell an atomic increment, so instances' counts add up. Only outcomes
 * naming an existing key are counted (see `UsageOutcome`): memory holds at most the keys that
 * exist and were verified within one flush interval, whatever IDs a client sprays. A batch the
 * store refused is kept and added again, with the same batch ID, at the next flush (so a
 * store that added part of it adds the rest only); a crash loses what was counted since the
 * last flush.
 */
export class UsageTally {
  private pending = new Map<string, KeyTally>()
  // Batches a flush could not add, retried first, each with its own ID.
  private failed: Batch[] = []
  private timer: ReturnType<typeof setInterval> | null = null
  private flushing: Promise<void> | null = null

  constructor(
    private readonly store: Pick<KeyStore, 'addUsage'>,
    private readonly flushMs: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Counts `result` for `keyId` in the hour of `at`, unless it names no existing key. */
  count(keyId: string, result: VerifyResult, at: number): void {
    const index = result.ok ? 0 : OUTCOME_INDEX[result.code]
    if (index === undefined) return
    this.add(keyId, hourOf(at), index, 1)
  }

  /** Writes what is pending in one `addUsage` (after any batch that failed before). Concurrent calls share one run. */
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

  private add(keyId: string, hour: number, index: number, n: number): void {
    let tally = this.pending.get(keyId)
    if (tally === undefined) {
      tally = { hour, counts: emptyCounts(), earlier: null }
      this.pending.set(keyId, tally)
    }
    let counts = tally.counts
    if (tally.hour !== hour) {
      tally.earlier ??= new Map()
      let other = tally.earlier.get(hour)
      if (other === undefined && hour > tally.hour) {
        // The clock moved on: the current hour joins the earlier ones.
        tally.earlier.set(tally.hour, tally.counts)
        tally.hour = hour
        tally.counts = emptyCounts()
        other = tally.counts
      } else if (other === undefined) {
        other = emptyCounts()
        tally.earlier.set(hour, other)
      }
      counts = other
    }
    counts[index]! += n
    if (this.timer === null && this.flushMs > 0) {
      this.timer = setInterval(() => void this.flush().catch(this.onError), this.flushMs)
      ;(this.timer as { unref?: () => void }).unref?.()
    }
  }

  private async run(): Promise<void> {
    const batches = this.failed
    this.failed = []
    if (this.pending.size > 0) batches.push(this.take())
    let failure: unknown = null
    for (const batch of batches) {
      try {
        await this.store.addUsage(batch.counts, { batch: batch.id })
      } catch (error) {
        // Kept whole, with its ID: a store that added part of it skips that part next time.
        this.failed.push(batch)
        failure ??= error
      }
    }
    if (failure !== null) throw failure
  }

  private take(): Batch {
    const counts: UsageCount[] = []
    for (const [keyId, tally] of this.pending) {
      const hours = [[tally.hour, tally.counts] as const, ...(tally.earlier ?? [])]
      for (const [hour, byOutcome] of hours) {
        byOutcome.forEach((count, i) => {
          if (count > 0) counts.push({ keyId, hour, outcome: USAGE_OUTCOMES[i]!, count })
        })
      }
    }
    this.pending = new Map()
    return { id: globalThis.crypto.randomUUID(), counts }
  }
}
