// The arithmetic of usage counters: rate-limit buckets (GCRA) and credit balances. Pure, and
// the reference every store's atomic spend follows (the memory and SQL stores call it; the
// Redis script is a line-by-line translation, held to it by the conformance suite).

/** A rate limit's bucket as a spend needs it: `limit` units, refilled at `limit` per `windowMs`. */
export interface BucketRule {
  /** Where its counter lives: with the key, or with its organisation (one budget for all). */
  scope: 'key' | 'organisation'
  name: string
  limit: number
  windowMs: number
}

/** A bucket's state after a spend (or, when refused, as it stands). */
export interface BucketState {
  name: string
  limit: number
  /** Whole units left now. */
  remaining: number
  /** Epoch ms at which the bucket is full again. */
  resetAt: number
}

/** How a credit balance is set and refilled (from the key's `credits`). */
export interface CreditsRule {
  /** The balance an admin set, in force from `generation` on. */
  initial: number
  /** Identifies the setting: a new one replaces whatever balance the counter holds. */
  generation: number
  refill: { amount: number; intervalMs: number } | null
  /** Epoch ms refills count from: every `intervalMs` after it the balance becomes `amount`. */
  refillFrom: number
}

/** A credit balance as a store keeps it. */
export interface CreditBalance {
  generation: number
  remaining: number
  /** The last refill boundary applied (epoch ms), or `refillFrom` before the first. */
  refilledAt: number
}

/** What the counters of one verification hold: each bucket's TAT by name, and the balance. */
export interface CounterState {
  /** Theoretical arrival time (epoch ms, fractional) per bucket name; absent: full. */
  buckets: Readonly<Record<string, number>>
  credits: CreditBalance | null
}

/** An empty counter state: every bucket full, no balance recorded. */
export const NO_COUNTERS: CounterState = Object.freeze({
  buckets: Object.freeze({}),
  credits: null,
})

// Float slack for comparisons of times built from `windowMs / limit`, which is rarely exact.
const EPSILON = 1e-6

/**
 * The balance at `now`: the counter's, or `rule.initial` when the counter holds none or an
 * older setting; replaced by `refill.amount` at each refill boundary passed since it was last
 * refilled (a refill replaces the balance, it does not add to it).
 */
export function balanceAt(
  counter: CreditBalance | null,
  rule: CreditsRule,
  now: number,
): CreditBalance {
  let balance =
    counter !== null && counter.generation === rule.generation
      ? counter
      : { generation: rule.generation, remaining: rule.initial, refilledAt: rule.refillFrom }
  const { refill } = rule
  if (refill !== null && now >= rule.refillFrom) {
    const boundary =
      rule.refillFrom + Math.floor((now - rule.refillFrom) / refill.intervalMs) * refill.intervalMs
    if (boundary > balance.refilledAt) {
      balance = { generation: rule.generation, remaining: refill.amount, refilledAt: boundary }
    }
  }
  return balance
}

/** Epoch ms of the next refill after `now`, or null without one. */
export function nextRefill(rule: CreditsRule, now: number): number | null {
  const { refill } = rule
  if (refill === null) return null
  if (now < rule.refillFrom) return rule.refillFrom + refill.intervalMs
  const passed = Math.floor((now - rule.refillFrom) / refill.intervalMs) + 1
  return rule.refillFrom + passed * refill.intervalMs
}

/** A bucket after taking `cost` units at `now` from a bucket whose TAT is `stored`. */
interface Take {
  allowed: boolean
  /** The TAT to store if the whole spend goes through. */
  tat: number
  /** The bucket once the units are taken (when allowed), or as it stands (when not). */
  state: BucketState
  /** When refused: ms until `cost` units fit; null when they never can (`cost` > `limit`). */
  retryAfterMs: number | null
}

/**
 * GCRA: a bucket of `limit` units refilled continuously at `limit` per `windowMs`. Each unit
 * takes `windowMs / limit` of "time credit"; taking `cost` units moves the TAT by that much
 * from now (or from the TAT, if later), and is allowed while the TAT stays within `windowMs`
 * of now: a burst never exceeds `limit`, the long-run rate never exceeds `limit / windowMs`.
 */
function take(rule: BucketRule, stored: number | undefined, cost: number, now: number): Take {
  const unit = rule.windowMs / rule.limit
  const start = stored === undefined || stored < now ? now : stored
  const tat = start + cost * unit
  const allowed = tat - now <= rule.windowMs + EPSILON
  const after = allowed ? tat : start
  const remaining = Math.max(0, Math.floor((now + rule.windowMs - after) / unit + EPSILON))
  return {
    allowed,
    tat,
    state: { name: rule.name, limit: rule.limit, remaining, resetAt: Math.ceil(after - EPSILON) },
    retryAfterMs:
      allowed || cost > rule.limit ? null : Math.ceil(tat - rule.windowMs - now - EPSILON),
  }
}

/** What one spend asks of the counters. */
export interface SpendPlan {
  now: number
  /** Units taken from every bucket and credits spent; 0 checks without taking. */
  cost: number
  buckets: readonly BucketRule[]
  credits: CreditsRule | null
}

/** How a spend ended. */
export type SpendOutcome =
  | {
      outcome: 'spent'
      /** Every bucket once the units are taken. */
      buckets: BucketState[]
      /** The balance left, or null without credits. */
      credits: number | null
      /** True when this spend took the balance to 0 (and it was above 0 before). */
      emptied: boolean
    }
  | {
      outcome: 'rate_limited' | 'credits_exhausted'
      /** Every bucket as it stands: a refused spend takes nothing. */
      buckets: BucketState[]
      credits: number | null
      /**
       * Ms until the spend could go through: the longest wait of the refusing buckets, or the
       * next refill; null when waiting cannot help (a cost above a limit, credits without refill).
       */
      retryAfterMs: number | null
    }

/** How a spend ended, and, when it went through, the counters to store by scope. */
export type SpendResult =
  | (Extract<SpendOutcome, { outcome: 'spent' }> & {
      next: { key: CounterState; organisation: CounterState }
    })
  | Exclude<SpendOutcome, { outcome: 'spent' }>

/**
 * One spend, all or nothing: every bucket is checked first (any one refusing refuses the
 * spend, `rate_limited`, with the longest wait), then the credits (`credits_exhausted`); only
 * when all allow are the units taken and the credits spent. A refused spend changes no counter.
 * `key` and `organisation` are the counters the two scopes hold now.
 */
export function spendCounters(
  key: CounterState,
  organisation: CounterState,
  plan: SpendPlan,
): SpendResult {
  const { now, cost } = plan
  const stored = (rule: BucketRule) =>
    (rule.scope === 'key' ? key : organisation).buckets[rule.name]
  const takes = plan.buckets.map((rule) => take(rule, stored(rule), cost, now))
  const standing = () => plan.buckets.map((rule) => take(rule, stored(rule), 0, now).state)
  const balance = plan.credits && balanceAt(key.credits, plan.credits, now)
  const credits = balance?.remaining ?? null
  const refused = takes.filter((t) => !t.allowed)
  if (refused.length > 0) {
    const waits = refused.map((t) => t.retryAfterMs)
    const retryAfterMs = waits.includes(null) ? null : Math.max(...(waits as number[]))
    return { outcome: 'rate_limited', buckets: standing(), credits, retryAfterMs }
  }
  if (balance !== null && plan.credits !== null && balance.remaining < cost) {
    const next = nextRefill(plan.credits, now)
    const retryAfterMs = next === null ? null : next - now
    return { outcome: 'credits_exhausted', buckets: standing(), credits, retryAfterMs }
  }
  // A key's counters keep its own buckets only; an organisation's keep every bucket still
  // filling (other keys may use them). A full bucket is an absent one.
  const keyBuckets: Record<string, number> = {}
  const organisationBuckets: Record<string, number> = {}
  for (const [name, tat] of Object.entries(organisation.buckets)) {
    if (tat > now) organisationBuckets[name] = tat
  }
  plan.buckets.forEach((rule, i) => {
    ;(rule.scope === 'key' ? keyBuckets : organisationBuckets)[rule.name] = takes[i]!.tat
  })
  const spent = balance && { ...balance, remaining: balance.remaining - cost }
  return {
    outcome: 'spent',
    buckets: takes.map((t) => t.state),
    credits: spent?.remaining ?? null,
    emptied: spent !== null && cost > 0 && spent.remaining === 0,
    next: {
      key: { buckets: keyBuckets, credits: spent ?? key.credits },
      organisation: { buckets: organisationBuckets, credits: organisation.credits },
    },
  }
}
