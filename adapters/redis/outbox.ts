import type { ClaimedEvent, ClaimQuery, EventSettlement, KeyStore } from '../../src/store'
import type { Commands } from './client'
import type { Layout } from './layout'
import { dueEntries, rescore, shares, touchIndex } from './outbox-index'
import type { Recovery } from './outbox-recovery'
import { claimSubject, pruneSubject, settleClaim } from './outbox-scripts'

/** What the outbox's calls need of the store. */
export interface OutboxContext {
  commands: Commands
  at: Layout
  /** The client's own `keyPrefix`, for names built inside scripts. */
  keyPrefix: string
  recovery: Recovery
  /** A fresh touch token. */
  token(): string
}

// Passes of pruneEvents over the delivered index: a subject holding more than its share of a
// pass comes up again in the next one.
const PRUNE_PASSES = 3

/**
 * The outbox half of the Redis store (`docs/decisions.md#events-and-the-outbox`). Events live beside their subject (see
 * `layout.ts`); the pending index names the subjects with events waiting, the delivered index
 * those with deliveries to prune. Each claim, settlement and pruning of one subject is one
 * script on its slot; several subjects are visited in parallel (pipelined on one connection).
 *
 * - `claimEvents`: one read of the pending index (subjects due by `now`, lowest hint first,
 *   at most `limit`), one claim script per subject (its share of `limit`), then one rescoring
 *   of the index by each subject's new hint (dropping subjects left with nothing).
 * - `settleEvent`: the settle script; then the pending index is lowered to the subject's new
 *   hint (the next event of its stream), and a delivery is added to the delivered index (also
 *   before the script, so a crash between the two leaves it indexed).
 * - `pruneEvents`: as `claimEvents`, over the delivered index.
 *
 * Each also kicks the recovery scan (see `outbox-recovery.ts`).
 */
export function redisOutbox(
  ctx: OutboxContext,
): Pick<KeyStore, 'claimEvents' | 'settleEvent' | 'pruneEvents'> {
  const { commands, at } = ctx
  const base = (subject: string) => ctx.keyPrefix + at.outbox(subject).base

  return {
    async claimEvents(query: ClaimQuery): Promise<ClaimedEvent[]> {
      ctx.recovery.kick()
      const entries = await dueEntries(commands, at.pending, query.now, query.limit)
      const caps = shares(query.limit, entries.length)
      const claims = await Promise.all(
        entries.map((e, i) =>
          claimSubject(commands, at.outbox(e.subject), base(e.subject), query, caps[i]!),
        ),
      )
      await rescore(
        commands,
        at.pending,
        entries.map((e, i) => ({ ...e, hint: claims[i]!.hint })),
      )
      return claims.flatMap((c) => c.events)
    },

    async settleEvent(event: ClaimedEvent, settlement: EventSettlement): Promise<boolean> {
      const subject = event.subject.id
      const delivered = 'deliveredAt' in settlement
      const time = delivered ? settlement.deliveredAt : settlement.retryAt
      // A fresh token for each touch: a pruner that read the first must not undo the second.
      const sent = () => [{ subject, score: time, token: ctx.token() }]
      if (delivered) await touchIndex(commands, at.delivered, sent())
      const settled = await settleClaim(
        commands,
        at.outbox(subject),
        base(subject),
        event,
        settlement.owner,
        { delivered, at: time },
      )
      if (settled === null) return false
      await Promise.all([
        settled.hint === null
          ? undefined
          : touchIndex(commands, at.pending, [
              { subject, score: settled.hint, token: ctx.token() },
            ]),
        delivered ? touchIndex(commands, at.delivered, sent()) : undefined,
      ])
      return true
    },

    async pruneEvents(deliveredBefore: number, limit: number): Promise<number> {
      ctx.recovery.kick()
      let pruned = 0
      for (let pass = 0; pass < PRUNE_PASSES && pruned < limit; pass++) {
        const entries = await dueEntries(commands, at.delivered, deliveredBefore, limit - pruned)
        if (entries.length === 0) break
        const caps = shares(limit - pruned, entries.length)
        const results = await Promise.all(
          entries.map((e, i) =>
            pruneSubject(
              commands,
              at.outbox(e.subject),
              base(e.subject),
              deliveredBefore,
              caps[i]!,
            ),
          ),
        )
        await rescore(
          commands,
          at.delivered,
          entries.map((e, i) => ({ ...e, hint: results[i]!.hint })),
        )
        pruned += results.reduce((sum, r) => sum + r.deleted, 0)
      }
      return pruned
    },
  }
}
