// The arithmetic of usage counters: rate-limit buckets (GCRA) and credit balances. Pure, and
// the reference every store's atomic spend follows (the memory and SQL stores call it; the
// Redis script and the PostgreSQL function are line-by-line translations, held to it by the
// conformance suite). Every number is an integer below 2^53, so float64 (JS, Lua) and bigint
// (SQL) compute the same values exactly: a bucket's use is counted in ms × limit, so a unit,
// windowMs / limit ms, is windowMs of it, with nothing to round. (A float quotient of two such
// integers, correctly rounded, never rounds onto the wrong integer, so floor and ceil of it are
// exact too.)

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

/** A bucket as a store keeps it: how much of it is in use, as of when, under which limit. */
export interface BucketCounter {
  /** Epoch ms the use was last brought up to date. */
  at: number
  /**
   * The use at `at`, in ms × limit: each unit is `windowMs` of it, and it drains by `limit` a
   * millisecond (the GCRA's theoretical arrival time is `at + debt / limit`). 0: full.
   */
  debt: number
  /** The limit the use was counted under: a bucket whose limit changed starts afresh. */
  limit: number
}

/** What the counters of one verification hold: each bucket by name, and the balance. */
export interface CounterState {
  /** Per bucket name; absent: full. */
  buckets: Readonly<Record<string, BucketCounter>>
  credits: CreditBalance | null
}

/** An empty counter state: every bucket full, no balance recorded. */
export const NO_COUNTERS: CounterState = Object.freeze({
  buckets: Object.freeze({}),
  credits: null,
})

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
  // The first refill comes one interval after `refillFrom`, never at it.
  if (refill !== null && now >= rule.refillFrom + refill.intervalMs) {
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

/** A bucket after taking `cost` units at `now` from a bucket holding `stored`. */
interface Take {
  allowed: boolean
  /** The counter to store if the whole spend goes through. */
  counter: BucketCounter
  /** The bucket once the units are taken (when allowed), or as it stands (when not). */
  state: BucketState
  /** When refused: ms until `cost` units fit; null when they never can (`cost` > `limit`). */
  retryAfterMs: number | null
}

/**
 * GCRA: a bucket of `limit` units refilled continuously at `limit` per `windowMs`. Taking
 * `cost` units adds `cost × windowMs` to the use (in ms × limit), which is allowed while it
 * stays within `windowMs × limit`: a burst never exceeds `limit`, the long-run rate never
 * exceeds `limit / windowMs`. If the clock went back since the counter was written, the use
 * is counted from the counter's later instant (erring towards refusing).
 */
function take(
  rule: BucketRule,
  stored: BucketCounter | undefined,
  cost: number,
  now: number,
): Take {
  const { limit, windowMs } = rule
  const capacity = windowMs * limit
  let at = now
  let debt = 0
  if (stored !== undefined && stored.limit === limit) {
    if (now <= stored.at) {
      at = stored.at
      debt = stored.debt
    } else if (now - stored.at < windowMs) {
      debt = Math.max(0, stored.debt - (now - stored.at) * limit)
    }
  }
  // A negative cost gives units back (a lease returned), never beyond full.
  const need = Math.max(0, debt + cost * windowMs)
  const allowed = need <= capacity
  const held = allowed ? need : debt
  return {
    allowed,
    counter: { at, debt: need, limit },
    state: {
      name: rule.name,
      limit,
      remaining: Math.floor((capacity - held) / windowMs),
      resetAt: at + Math.ceil(held / limit),
    },
    retryAfterMs: allowed || cost > limit ? null : at - now + Math.ceil((need - capacity) / limit),
  }
}

// Whether a stored bucket still holds any use at `now` (else it is full, and need not be kept).
const inUse = (counter: BucketCounter, now: number) =>
  counter.at + Math.ceil(counter.debt / counter.limit) > now

/** What one spend asks of the counters. */
export interface SpendPlan {
  now: number
  /**
   * Units taken from every bucket and credits spent; 0 checks without taking; a negative cost
   * gives units and credits back (a lease returned: it always goes through, and a bucket is
   * never fuller than full).
   */
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
  const keyBuckets: Record<string, BucketCounter> = {}
  const organisationBuckets: Record<string, BucketCounter> = {}
  for (const [name, counter] of Object.entries(organisation.buckets)) {
    if (inUse(counter, now)) organisationBuckets[name] = counter
  }
  plan.buckets.forEach((rule, i) => {
    ;(rule.scope === 'key' ? keyBuckets : organisationBuckets)[rule.name] = takes[i]!.counter
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
