import type { BucketState, CounterState, SpendOutcome, SpendPlan } from '../../src/core/counters'
import { KeycycleError } from '../../src/core/errors'
import type { KeyRecord, Organisation } from '../../src/core/types'
import type {
  CallOptions,
  KeyStore,
  KeyWithOrganisation,
  OutboxEvent,
  SpendAnswer,
  SpendRequest,
} from '../../src/store'
import type { Commands } from './client'
import { countersFromFields } from './counters-lua'
import type { FencedCall } from './fenced-call'
import type { Layout } from './layout'
import { evaluate, REFUSED_LATE } from './lua'
import { outboxWrite, touchesOf } from './outbox-append'
import { touchIndex } from './outbox-index'
import { keyRecordOf, organisationOf } from './records'
import { GIVE_BACK, KEY_SPEND, ORGANISATION_TAKE, partOf, planArgs, SPEND } from './spend-scripts'

/** What the spend needs of the store around it. */
export interface RedisSpendContext {
  commands: Commands
  at: Layout
  isCluster: boolean
  /** The client's own `keyPrefix`, for names built inside scripts. */
  keyPrefix: string
  markerTtlMs: number
  runWrite: FencedCall
  run<T>(method: string, options: CallOptions | undefined, work: () => Promise<T>): Promise<T>
  token(): string
}

// A script's answer as it comes: the outcome's words, the current records of a stale spend,
// or REFUSED_LATE.
type Reply = string | (string | null)[] | number

const refusedLate = (what: string) =>
  new KeycycleError('unavailable', `redis: ${what} refused: its deadline had passed`)

/** The outcome in `words` (see `reply` in counters-lua.ts), its buckets those of `plan`. */
function outcomeOf(words: readonly string[], plan: SpendPlan): SpendOutcome {
  const numberOrNull = (word: string | undefined) => (word === 'n' ? null : Number(word))
  const buckets: BucketState[] = plan.buckets.map((rule, i) => ({
    name: rule.name,
    limit: rule.limit,
    remaining: Number(words[3 + 2 * i]),
    resetAt: Number(words[4 + 2 * i]),
  }))
  const credits = numberOrNull(words[1])
  const outcome = words[0] as SpendOutcome['outcome']
  return outcome === 'spent'
    ? { outcome, buckets, credits, emptied: words[2] === '1' }
    : { outcome, buckets, credits, retryAfterMs: numberOrNull(words[2]) }
}

/** Two parts' buckets back in the plan's order. */
function inPlanOrder(
  plan: SpendPlan,
  shared: readonly BucketState[],
  own: readonly BucketState[],
): BucketState[] {
  let s = 0
  let o = 0
  return plan.buckets.map((b) => (b.scope === 'organisation' ? shared[s++]! : own[o++]!))
}

// The longest wait, or null when any refusing bucket can never allow (as `spendCounters`).
const longest = (waits: (number | null)[]) =>
  waits.includes(null) ? null : Math.max(...(waits as number[]))

/**
 * The Redis store's `spend` and `readCounters`. Counters are fields of the hashes they belong
 * to (counters-lua.ts), so a deleted key takes its own along and a record write never touches
 * them.
 *
 * Standalone: one script ({@link SPEND}), one round trip, whatever the plan; a stale spend's
 * reply carries the current records. Events go with it (so `eventsIfEmptied` is asked before
 * it, whenever the spend has credits and a cost) and are recorded only when it empties the
 * balance. They must be about the key (`subject` the key): its outbox shares the key's slot,
 * which on a Cluster is the only one the key's script may write.
 *
 * Cluster: the organisation lives in another slot, so a spend is two scripts, two round trips.
 * First the organisation's ({@link ORGANISATION_TAKE}): its version, and the units of its
 * shared buckets taken if they all allow. Then the key's ({@link KEY_SPEND}): its version, its
 * own buckets and credits, the writes and events. When the key's part refuses (or refuses past
 * its fence, or finds the key changed), a third script gives the organisation's units back
 * ({@link GIVE_BACK}). At completion a refused spend has consumed nothing, and at most what the
 * counters allow goes through. What remains: while units are held between the two scripts
 * (about one round trip), another spend of the organisation may be refused for want of them;
 * a give-back that finds other spends came in between while the bucket was within the cost of
 * full returns no more than the spend still held (possibly less: those units stay consumed until
 * the bucket refills); a process that dies between the scripts, or a key script whose reply is
 * lost, leaves the organisation's units taken until the bucket refills (within its window). The
 * organisation's version is checked by the first script, not atomically with the key's: a change
 * to the organisation landing between the two is not seen by that spend. A spend the
 * organisation refused reads the key's part in a check-only script to report every bucket.
 */
export function redisSpend(ctx: RedisSpendContext): Pick<KeyStore, 'spend' | 'readCounters'> {
  const { commands, at } = ctx
  const organisationHash = [ctx.keyPrefix + at.organisationAround[0], at.organisationAround[1]]

  // How long a marker must outlive the first send: until past the fence, where resends stop.
  const markerTtl = (options: CallOptions | undefined) =>
    options?.deadline === undefined
      ? ctx.markerTtlMs
      : Math.max(1, Math.ceil(options.deadline - Date.now())) + 1000

  const eventsOf = (request: SpendRequest): readonly OutboxEvent[] =>
    request.plan.credits !== null && request.plan.cost > 0
      ? (request.eventsIfEmptied?.() ?? [])
      : []

  const current = (key: string | null, organisation: string | null) =>
    key === null || organisation === null
      ? null
      : {
          key: keyRecordOf(JSON.parse(key) as KeyRecord),
          organisation: organisationOf(JSON.parse(organisation) as Organisation),
        }
  const readCurrentOrganisation = async (key: string | null) =>
    key === null
      ? null
      : commands.hget(at.organisation((JSON.parse(key) as KeyRecord).organisation), 'record')

  async function standalone(request: SpendRequest, fence: string, ttl: number) {
    const events = eventsOf(request)
    const outbox = outboxWrite(at, events, touchesOf(events, ctx.token()), at.pending)
    const reply = (await evaluate(
      commands,
      SPEND,
      [
        at.key(request.keyId),
        at.organisation(request.organisationId),
        at.marker(request.keyId, ctx.token()),
        ...outbox.keys,
      ],
      [
        String(request.keyVersion),
        request.organisationId,
        String(request.organisationVersion),
        fence,
        ttl,
        ...organisationHash,
        ...planArgs(request.plan),
        ...outbox.args,
      ],
    )) as Reply
    if (reply === REFUSED_LATE) throw refusedLate('spend')
    if (Array.isArray(reply)) return staleWith(current(reply[0] ?? null, reply[1] ?? null))
    return { stale: false as const, ...outcomeOf((reply as string).split(' '), request.plan) }
  }

  const staleWith = (found: KeyWithOrganisation | null): SpendAnswer => ({
    stale: true,
    current: found,
  })

  async function keyPart(
    request: SpendRequest,
    plan: SpendPlan,
    mode: 'take' | 'check',
    fence: string,
    ttl: number,
    events: readonly OutboxEvent[],
  ): Promise<Reply> {
    const outbox = outboxWrite(at, events, [], null)
    return (await evaluate(
      commands,
      KEY_SPEND,
      [at.key(request.keyId), at.marker(request.keyId, ctx.token()), ...outbox.keys],
      [
        String(request.keyVersion),
        request.organisationId,
        fence,
        ttl,
        mode,
        ...planArgs(plan),
        ...outbox.args,
      ],
    )) as Reply
  }

  async function cluster(request: SpendRequest, fence: string, ttl: number) {
    const shared = partOf(request.plan, 'organisation')
    const own = partOf(request.plan, 'key')
    const organisation = at.organisation(request.organisationId)
    const takeMarker = at.marker(request.organisationId, ctx.token())
    const taken = (await evaluate(
      commands,
      ORGANISATION_TAKE,
      [organisation, takeMarker],
      [String(request.organisationVersion), fence, ttl, ...planArgs(shared)],
    )) as Reply
    if (taken === REFUSED_LATE) throw refusedLate('spend')
    if (Array.isArray(taken)) {
      const key = await commands.hget(at.key(request.keyId), 'record')
      return staleWith(current(key, taken[0] ?? null))
    }
    const words = (taken as string).split(' ')
    const sharedOutcome = outcomeOf(words, shared)

    if (sharedOutcome.outcome !== 'spent') {
      // Refused by the organisation: nothing was taken; the key's part is only reported.
      const checked = await keyPart(request, own, 'check', fence, ttl, [])
      if (Array.isArray(checked)) {
        return staleWith(
          current(checked[0] ?? null, await readCurrentOrganisation(checked[0] ?? null)),
        )
      }
      const ownOutcome = outcomeOf((checked as string).split(' '), own)
      const waits = [sharedOutcome.retryAfterMs]
      if (ownOutcome.outcome === 'rate_limited') waits.push(ownOutcome.retryAfterMs)
      return {
        stale: false as const,
        outcome: 'rate_limited' as const,
        buckets: inPlanOrder(request.plan, sharedOutcome.buckets, ownOutcome.buckets),
        credits: ownOutcome.credits,
        retryAfterMs: longest(waits),
      }
    }

    // Taken (or nothing to take): per shared bucket, the counter set (at, debt), the counter
    // found (at, debt), and the bucket as it stood.
    const held = shared.buckets.map((rule, i) => {
      const from = 3 + 2 * shared.buckets.length + 6 * i
      return {
        rule,
        counters: words.slice(from, from + 4),
        standing: {
          name: rule.name,
          limit: rule.limit,
          remaining: Number(words[from + 4]),
          resetAt: Number(words[from + 5]),
        },
      }
    })
    const giveBack = async () => {
      if (held.length === 0) return
      const args: (string | number)[] = [request.plan.cost, ttl]
      for (const h of held) args.push(h.rule.name, h.rule.limit, h.rule.windowMs, ...h.counters)
      await evaluate(commands, GIVE_BACK, [organisation, takeMarker], args)
    }

    const events = eventsOf(request)
    // A fault here leaves it unknown whether the key's part applied: the organisation's units
    // then stay taken (erring towards refusing).
    const reply = await keyPart(request, own, 'take', fence, ttl, events)
    if (reply === REFUSED_LATE) {
      await giveBack()
      throw refusedLate('spend')
    }
    if (Array.isArray(reply)) {
      await giveBack()
      const key = reply[0] ?? null
      return staleWith(current(key, await readCurrentOrganisation(key)))
    }
    const ownOutcome = outcomeOf((reply as string).split(' '), own)
    if (ownOutcome.outcome !== 'spent') {
      await giveBack()
      return {
        stale: false as const,
        ...ownOutcome,
        buckets: inPlanOrder(
          request.plan,
          held.map((h) => h.standing),
          ownOutcome.buckets,
        ),
      }
    }
    if (ownOutcome.emptied && events.length > 0) {
      // The outbox's index lives in another slot: touched once the events are in.
      await touchIndex(commands, at.pending, touchesOf(events, ctx.token()))
    }
    return {
      stale: false as const,
      ...ownOutcome,
      buckets: inPlanOrder(request.plan, sharedOutcome.buckets, ownOutcome.buckets),
    }
  }

  return {
    spend: (request, options) =>
      ctx.runWrite('spend', options, (fence) =>
        ctx.isCluster
          ? cluster(request, fence, markerTtl(options))
          : standalone(request, fence, markerTtl(options)),
      ),

    readCounters: (ids, options) =>
      ctx.run('readCounters', options, async () => {
        const fields = await Promise.all(
          ids.map((id) => commands.hmget(at.key(id), 'buckets', 'credits')),
        )
        const found = new Map<string, CounterState>()
        ids.forEach((id, i) => {
          const [buckets = null, credits = null] = fields[i]!
          const counters = countersFromFields(buckets, credits)
          if (counters !== null) found.set(id, counters)
        })
        return found
      }),
  }
}
