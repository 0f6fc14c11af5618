import type { BucketState, SpendPlan } from '../../core/counters'
import { nextRefill } from '../../core/counters'
import type { SystemActor } from '../../core/types'
import type { UsageRules } from '../../core/usage-control'
import type { KeyStore, KeyWithOrganisation, SpendAnswer, SpendRequest } from '../../store'
import type { OutboxEvents } from '../emit'
import type { Leases } from './leases'

/** What step 5 is built from. */
export interface SpendStepDeps {
  /** Where spends go (the store, behind the service's guard). */
  store: KeyStore
  /** Builds the events a spend records when it empties a balance. */
  events: OutboxEvents
  /** Leased usage (`usage: { mode: 'leased' }`), or null for exact spends. */
  leases: Leases | null
}

/** A spend's answer, and whether it was served from or took a lease. */
export type Spent = SpendAnswer & { leased?: true }

/**
 * Step 5 of the verification pipeline: takes `cost` units from the key's rules at `at`, on the
 * versions in `found`. Exact mode: one atomic store spend. Leased mode: from the instance's
 * lease when it holds one (synchronously, no round trip), else one spend that takes `cost` and a
 * new lease together, and, when a lease does not fit in what is left, one exact spend. A
 * leased answer's balances count the lease's units as not yet spent: they are this instance's.
 */
export function spendStep({
  store,
  events,
  leases,
}: SpendStepDeps): (
  keyId: string,
  found: KeyWithOrganisation,
  rules: UsageRules,
  cost: number,
  at: number,
) => Spent | Promise<Spent> {
  const SYSTEM: SystemActor = { kind: 'system' }
  const request = (keyId: string, found: KeyWithOrganisation, plan: SpendPlan): SpendRequest => ({
    keyId,
    keyVersion: found.key.version,
    organisationId: found.organisation.id,
    organisationVersion: found.organisation.version,
    plan,
    eventsIfEmptied: () =>
      events.keyHappening(
        SYSTEM,
        { record: found.key, organisation: found.organisation, now: plan.now },
        {
          type: 'key.credits_exhausted',
          refillAt: plan.credits && nextRefill(plan.credits, plan.now),
        },
      ) ?? [],
  })
  const exact = (
    keyId: string,
    found: KeyWithOrganisation,
    rules: UsageRules,
    cost: number,
    at: number,
  ) => store.spend(request(keyId, found, { now: at, cost, ...rules }))
  if (leases === null) return exact

  const withLease = async (
    keyId: string,
    found: KeyWithOrganisation,
    rules: UsageRules,
    cost: number,
    at: number,
  ): Promise<Spent> => {
    const answer = await store.spend(request(keyId, found, leases.planFor(rules, cost, at)))
    if (answer.stale) return answer
    // A lease does not fit in what is left: this request's own cost, exactly.
    if (answer.outcome !== 'spent') return exact(keyId, found, rules, cost, at)
    leases.keep(keyId, found, rules, at, answer)
    const { units } = leases.settings
    const buckets: BucketState[] = answer.buckets.map((b) => ({
      ...b,
      remaining: b.remaining + units,
    }))
    const credits = answer.credits === null ? null : answer.credits + units
    return { ...answer, buckets, credits, leased: true }
  }
  return (keyId, found, rules, cost, at) => {
    const local = leases.use(keyId, found, rules, cost, at)
    if (local === null) return withLease(keyId, found, rules, cost, at)
    return { stale: false, outcome: 'spent', emptied: false, leased: true, ...local }
  }
}
