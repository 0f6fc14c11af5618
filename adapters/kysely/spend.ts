import type { Kysely } from 'kysely'
import {
  type BucketState,
  type CounterState,
  NO_COUNTERS,
  type SpendOutcome,
  type SpendPlan,
  spendCounters,
} from '../../src/core/counters'
import type {
  CallOptions,
  KeyStore,
  KeyWithOrganisation,
  OutboxEvent,
  SpendAnswer,
  SpendRequest,
} from '../../src/store'
import { deadlineOf, remainingMs } from '../../src/store/deadline'
import type { StoreExecutor } from './executor'
import { insertEvents, pgEventsParam } from './outbox-rows'
import type { PgSpendParameter } from './pg-spend-function'
import type { KeycycleTables, TableNames } from './schema'
import { type SpendStatements, spendStatements } from './spend-statements'
import type { SqlFlavour } from './sql-flavour'

/** What the spend needs of the store around it. */
export interface SpendContext {
  host: Kysely<unknown>
  names: TableNames
  prefix: string
  flavour: SqlFlavour
  executor: StoreExecutor
  /** The key with its organisation as they are now: a stale spend's answer. */
  current(id: string, options: CallOptions | undefined): Promise<KeyWithOrganisation | null>
}

/** The counters column's text as a `CounterState` (null: none recorded). */
export function countersFromText(value: unknown): CounterState | null {
  return value === null || value === undefined ? null : (JSON.parse(String(value)) as CounterState)
}

// What the PostgreSQL function answers (see pg-spend-function.ts).
type PgReply =
  | { o: 'stale' }
  | {
      o: SpendOutcome['outcome']
      r: number[]
      t: number[]
      c: number | null
      w: number | null
      e: boolean
    }

function fromPgReply(text: string, plan: SpendPlan): SpendOutcome | null {
  const reply = JSON.parse(text) as PgReply
  if (reply.o === 'stale') return null
  const buckets: BucketState[] = plan.buckets.map((rule, i) => ({
    name: rule.name,
    limit: rule.limit,
    remaining: reply.r[i]!,
    resetAt: reply.t[i]!,
  }))
  return reply.o === 'spent'
    ? { outcome: 'spent', buckets, credits: reply.c, emptied: reply.e }
    : { outcome: reply.o, buckets, credits: reply.c, retryAfterMs: reply.w }
}

// Only a spend with credits and a cost can empty a balance: the others never need the events.
const canEmpty = (plan: SpendPlan) => plan.credits !== null && plan.cost > 0

/**
 * The Kysely store's `spend` and `readCounters`. The counters are the `counters` column of the
 * key's row and of the organisation's (see `CountersColumn`).
 *
 * PostgreSQL: one statement, the `<prefix>spend` function (pg-spend-function.ts), through the
 * pg pool as a named prepared statement when the store has one, else through Kysely. Its events
 * go with the call (so `eventsIfEmptied` is asked before it, whenever the spend has credits and
 * a cost) and are inserted by it only when the spend empties the balance.
 *
 * SQLite and MySQL/MariaDB: one transaction that locks the rows (MySQL `SELECT … FOR UPDATE`,
 * the organisation's only when a bucket is the organisation's; SQLite a write first, which takes
 * the database's write lock), checks both versions, applies `spendCounters` in this process,
 * writes what it returns and, when it emptied the balance, inserts the events it asks for then.
 *
 * Fenced as a write: no attempt after `deadline`, retried after a deadlock, a serialization
 * failure or SQLITE_BUSY while time remains, rolled back (or refused by the function) past it.
 * A stale spend answers the records as a second read finds them.
 */
export function kyselySpend(ctx: SpendContext): Pick<KeyStore, 'spend' | 'readCounters'> {
  const { host, names, executor } = ctx
  const statements = spendStatements(host, names, ctx.prefix, ctx.flavour)
  const q = host as unknown as Kysely<KeycycleTables>

  const stale = async (request: SpendRequest, options: CallOptions | undefined) => ({
    stale: true as const,
    current: await ctx.current(request.keyId, options),
  })

  async function spendByFunction(
    call: Extract<SpendStatements, { flavour: 'postgres' }>['call'],
    request: SpendRequest,
    deadline: number | undefined,
  ): Promise<SpendOutcome | null> {
    const { plan } = request
    const credits = plan.credits
    const events = canEmpty(plan) ? (request.eventsIfEmptied?.() ?? []) : []
    const values: Record<PgSpendParameter, unknown> = {
      key: request.keyId,
      key_version: request.keyVersion,
      organisation: request.organisationId,
      organisation_version: request.organisationVersion,
      now: plan.now,
      cost: plan.cost,
      names: plan.buckets.map((b) => b.name),
      limits: plan.buckets.map((b) => b.limit),
      windows: plan.buckets.map((b) => b.windowMs),
      shared: plan.buckets.map((b) => b.scope === 'organisation'),
      initial: credits?.initial ?? null,
      generation: credits?.generation ?? null,
      refill_amount: credits?.refill?.amount ?? null,
      refill_interval: credits?.refill?.intervalMs ?? null,
      refill_from: credits?.refillFrom ?? null,
      events: events.length === 0 ? null : pgEventsParam(events),
      fence_ms: null,
    }
    const [row] = await executor.alone('spend', deadline, (session) => {
      // The time left, counted again at each attempt, as the statement's own fence.
      if (deadline !== undefined) values.fence_ms = remainingMs(deadline)
      return session.rows(call, values)
    })
    return fromPgReply(String((row as { r: unknown }).r), plan)
  }

  async function spendInTransaction(
    s: Exclude<SpendStatements, { flavour: 'postgres' }>,
    request: SpendRequest,
    deadline: number | undefined,
  ): Promise<SpendOutcome | null> {
    const { keyId, organisationId, plan } = request
    const shared = plan.buckets.some((b) => b.scope === 'organisation')
    // Asked once, even when the transaction is attempted again.
    let events: readonly OutboxEvent[] | undefined
    return executor.atomically('spend', deadline, async (tx) => {
      if (s.lock !== null) await tx.write(s.lock, { key: keyId })
      const [row] = await tx.rows(shared ? s.readBoth : s.readKey, {
        key: keyId,
        organisation: organisationId,
      })
      const [kv, ko, kc, ov, oc] = row === undefined ? [] : Object.values(row as object)
      if (
        row === undefined ||
        Number(kv) !== request.keyVersion ||
        ko !== organisationId ||
        ov === null ||
        ov === undefined ||
        Number(ov) !== request.organisationVersion
      ) {
        return null
      }
      const result = spendCounters(
        countersFromText(kc) ?? NO_COUNTERS,
        countersFromText(oc) ?? NO_COUNTERS,
        plan,
      )
      if (result.outcome !== 'spent') return result
      const { next, ...outcome } = result
      await tx.write(s.writeKey, { id: keyId, counters: JSON.stringify(next.key) })
      // The organisation's counters change only through its buckets (and its row is locked
      // only then).
      if (shared) {
        const counters = JSON.stringify(next.organisation)
        await tx.write(s.writeOrganisation, { id: organisationId, counters })
      }
      if (outcome.emptied) {
        events ??= request.eventsIfEmptied?.() ?? []
        if (events.length > 0) await tx.execute(insertEvents(host, names.events, events))
      }
      return outcome
    })
  }

  return {
    async spend(request, options): Promise<SpendAnswer> {
      const deadline = options?.deadline
      const outcome =
        statements.flavour === 'postgres'
          ? await spendByFunction(statements.call, request, deadline)
          : await spendInTransaction(statements, request, deadline)
      return outcome === null ? stale(request, options) : { stale: false, ...outcome }
    },

    async readCounters(ids, options) {
      const found = new Map<string, CounterState>()
      if (ids.length === 0) return found
      const rows = await executor.read(
        () =>
          q
            .selectFrom(names.keys as 'keys')
            .select(['id', 'counters'])
            .where('id', 'in', [...ids])
            .execute(),
        deadlineOf(options),
      )
      for (const row of rows) {
        const counters = countersFromText(row.counters)
        if (counters !== null) found.set(row.id, counters)
      }
      return found
    },
  }
}
