import { type Kysely, sql } from 'kysely'
import type { CallOptions, ClaimedEvent, KeyStore } from '../../src/store'
import { attemptUntil } from './fence'
import { eventFromRow } from './outbox-rows'
import type { KeycycleTables } from './schema'

type Outbox = Pick<KeyStore, 'claimEvents' | 'settleEvent' | 'pruneEvents'>

/**
 * The outbox's claims, settlements and pruning over the events table, the same SQL
 * on every dialect. A claim is two steps: a read of the due heads of their streams, then one
 * conditional `UPDATE … WHERE id = ? AND <the claim is free>` per candidate, which the
 * database applies atomically under the row's lock; a candidate whose update matched no row
 * (another dispatcher took it first) is left out. No `FOR UPDATE SKIP LOCKED`, which MySQL
 * before 8 and MariaDB before 10.6 lack. Writes retry transient failures (SQLITE_BUSY) until the
 * call's deadline, in asynchronous pauses.
 */
export function kyselyOutbox(db: Kysely<unknown>, table: string): Outbox {
  const q = db as unknown as Kysely<KeycycleTables>
  const events = table as 'events'
  // Outbox writes carry no events and no fence of their own: retried until the call's deadline.
  const retrying = <T>(what: string, options: CallOptions | undefined, work: () => Promise<T>) =>
    attemptUntil(options?.deadline, what, work)

  return {
    async claimEvents({ owner, now, leaseUntil, limit }, options) {
      const candidates = await q
        .selectFrom(`${table} as e` as 'events as e')
        .selectAll('e')
        .where('e.delivered_at', 'is', null)
        .where('e.available_at', '<=', now)
        .where((eb) => eb.or([eb('e.claimed_until', 'is', null), eb('e.claimed_until', '<=', now)]))
        // The head of its stream: no undelivered event of the stream comes before it.
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom(`${table} as p` as 'events as p')
                .select('p.id')
                .whereRef('p.stream', '=', 'e.stream')
                .where('p.delivered_at', 'is', null)
                .whereRef('p.seq', '<', 'e.seq'),
            ),
          ),
        )
        .orderBy('e.available_at')
        .orderBy('e.id')
        .limit(limit)
        .execute()
      const claimed = await Promise.all(
        candidates.map(async (row): Promise<ClaimedEvent | null> => {
          const result = await retrying('claimEvents', options, () =>
            q
              .updateTable(events)
              .set({ claim_owner: owner, claimed_until: leaseUntil })
              .where('id', '=', row.id)
              .where('delivered_at', 'is', null)
              .where('available_at', '<=', now)
              // Unchanged since the read, so `attempts` and `availableAt` are handed out as stored.
              .where('attempts', '=', Number(row.attempts))
              .where((eb) =>
                eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<=', now)]),
              )
              .executeTakeFirst(),
          )
          return Number(result.numUpdatedRows) === 1 ? eventFromRow(row) : null
        }),
      )
      return claimed.filter((event): event is ClaimedEvent => event !== null)
    },

    async settleEvent(event, settlement, options) {
      const result = await retrying('settleEvent', options, () => {
        const settle = q
          .updateTable(events)
          .where('id', '=', event.id)
          .where('claim_owner', '=', settlement.owner)
          .where('delivered_at', 'is', null)
        return (
          'deliveredAt' in settlement
            ? settle.set({ delivered_at: settlement.deliveredAt, claimed_until: null })
            : settle.set({
                available_at: settlement.retryAt,
                attempts: sql<number>`${sql.ref('attempts')} + 1`,
                claim_owner: null,
                claimed_until: null,
              })
        ).executeTakeFirst()
      })
      return Number(result.numUpdatedRows) === 1
    },

    async pruneEvents(deliveredBefore, limit, options) {
      // Two steps, since neither PostgreSQL nor SQLite (as usually built) take DELETE … LIMIT
      // and MySQL refuses a LIMIT in a subquery of its DELETE.
      const due = await q
        .selectFrom(events)
        .select('id')
        .where('delivered_at', '<=', deliveredBefore)
        .orderBy('delivered_at')
        .limit(limit)
        .execute()
      if (due.length === 0) return 0
      const result = await retrying('pruneEvents', options, () =>
        q
          .deleteFrom(events)
          .where(
            'id',
            'in',
            due.map((row) => row.id),
          )
          .where('delivered_at', '<=', deliveredBefore)
          .executeTakeFirst(),
      )
      return Number(result.numDeletedRows)
    },
  }
}
