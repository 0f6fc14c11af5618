import { describe, expect, it } from 'vitest'
import {
  type BucketRule,
  balanceAt,
  type CounterState,
  type CreditsRule,
  NO_COUNTERS,
  nextRefill,
  type SpendResult,
  spendCounters,
} from '../../src/core/counters'

const T0 = 1_800_000_000_000
const minute: BucketRule = { scope: 'key', name: 'api', limit: 60, windowMs: 60_000 }

// Spends `cost` at `now` against `state`, and returns the result with the state to carry on.
function spend(
  state: { key: CounterState; organisation: CounterState },
  now: number,
  buckets: BucketRule[],
  credits: CreditsRule | null = null,
  cost = 1,
): { result: SpendResult; state: { key: CounterState; organisation: CounterState } } {
  const result = spendCounters(state.key, state.organisation, { now, cost, buckets, credits })
  return { result, state: result.outcome === 'spent' ? result.next : state }
}

const fresh = () => ({ key: NO_COUNTERS, organisation: NO_COUNTERS })

describe('rate-limit buckets (GCRA)', () => {
  it('allows a burst of exactly `limit`, then refills one unit per windowMs / limit', () => {
    let state = fresh()
    for (let i = 0; i < 60; i++) {
      const step = spend(state, T0, [minute])
      expect(step.result.outcome).toBe('spent')
      expect(step.result.buckets[0]!.remaining).toBe(59 - i)
      state = step.state
    }
    const refused = spend(state, T0, [minute])
    expect(refused.result).toMatchObject({ outcome: 'rate_limited', retryAfterMs: 1000 })
    expect(refused.result.buckets[0]).toMatchObject({ remaining: 0, resetAt: T0 + 60_000 })
    // The unit comes back exactly at 1000 ms, not at 999.
    expect(spend(state, T0 + 999, [minute]).result).toMatchObject({
      outcome: 'rate_limited',
      retryAfterMs: 1,
    })
    const back = spend(state, T0 + 1000, [minute])
    expect(back.result.outcome).toBe('spent')
    expect(spend(back.state, T0 + 1000, [minute]).result.outcome).toBe('rate_limited')
  })

  it('allows exactly `limit` at one instant whatever windowMs / limit is (no rounding)', () => {
    for (const [limit, windowMs] of [
      [7, 1000],
      [3, 1001],
      [19, 60_000],
      [51, 1000],
      [999_983, 86_400_000],
    ] as const) {
      const rule: BucketRule = { scope: 'key', name: 'b', limit, windowMs }
      const taken = spend(fresh(), T0 + 1, [rule], null, limit)
      expect(taken.result.outcome, `${limit}/${windowMs}`).toBe('spent')
      expect(spend(taken.state, T0 + 1, [rule]).result.outcome).toBe('rate_limited')
    }
  })

  it('starts a bucket afresh when its limit changes', () => {
    const five: BucketRule = { scope: 'key', name: 'api', limit: 5, windowMs: 5000 }
    const drained = spend(fresh(), T0, [five], null, 5)
    expect(spend(drained.state, T0, [five]).result.outcome).toBe('rate_limited')
    const ten = { ...five, limit: 10 }
    expect(spend(drained.state, T0, [ten]).result).toMatchObject({
      outcome: 'spent',
      buckets: [{ remaining: 9 }],
    })
  })

  it('never lets the long-run rate exceed limit / windowMs, whatever the spacing', () => {
    const rule: BucketRule = { scope: 'key', name: 'odd', limit: 3, windowMs: 1000 }
    let state = fresh()
    let allowed = 0
    for (let t = 0; t < 10_000; t += 7) {
      const step = spend(state, T0 + t, [rule])
      if (step.result.outcome === 'spent') allowed++
      state = step.state
    }
    // 3 to start with, then 3 per second for 10 s (fractional unit time: 333.3… ms).
    expect(allowed).toBeLessThanOrEqual(3 + 30)
    expect(allowed).toBeGreaterThanOrEqual(30)
  })

  it('takes `cost` units at once, refuses a cost above the limit with no retry time', () => {
    const five: BucketRule = { scope: 'key', name: 'five', limit: 5, windowMs: 5000 }
    const taken = spend(fresh(), T0, [five], null, 4)
    expect(taken.result.buckets[0]!.remaining).toBe(1)
    expect(spend(taken.state, T0, [five], null, 2).result).toMatchObject({
      outcome: 'rate_limited',
      retryAfterMs: 1000,
    })
    expect(spend(fresh(), T0, [five], null, 6).result).toMatchObject({
      outcome: 'rate_limited',
      retryAfterMs: null,
    })
    // Cost 0 checks without taking.
    const check = spend(taken.state, T0, [five], null, 0)
    expect(check.result).toMatchObject({ outcome: 'spent', buckets: [{ remaining: 1 }] })
  })

  it('gives units and credits back for a negative cost, never beyond full', () => {
    const five: BucketRule = { scope: 'key', name: 'five', limit: 5, windowMs: 5000 }
    const rule: CreditsRule = { initial: 10, generation: 1, refill: null, refillFrom: T0 }
    const taken = spend(fresh(), T0, [five], rule, 4)
    const back = spend(taken.state, T0, [five], rule, -3)
    expect(back.result).toMatchObject({ outcome: 'spent', credits: 9, buckets: [{ remaining: 4 }] })
    const overfull = spend(back.state, T0, [five], rule, -3)
    expect(overfull.result).toMatchObject({ buckets: [{ remaining: 5 }], credits: 12 })
  })

  it('is all or nothing: a refusal by the second limit leaves the first as it was', () => {
    const wide: BucketRule = { scope: 'key', name: 'wide', limit: 100, windowMs: 60_000 }
    const narrow: BucketRule = { scope: 'organisation', name: 'narrow', limit: 1, windowMs: 60_000 }
    const first = spend(fresh(), T0, [wide, narrow])
    expect(first.result.outcome).toBe('spent')
    const refused = spend(first.state, T0, [wide, narrow])
    expect(refused.result.outcome).toBe('rate_limited')
    expect(refused.result.buckets.map((b) => b.remaining)).toEqual([99, 0])
    expect(refused.state).toBe(first.state)
  })
})

describe('credits', () => {
  const credits = (over: Partial<CreditsRule> = {}): CreditsRule => ({
    initial: 3,
    generation: 1,
    refill: null,
    refillFrom: T0,
    ...over,
  })

  it('spends down to 0, says when a spend emptied it, then refuses without taking a unit', () => {
    let state = fresh()
    const emptied: boolean[] = []
    for (let i = 0; i < 3; i++) {
      const step = spend(state, T0, [minute], credits())
      if (step.result.outcome !== 'spent') throw new Error('refused')
      emptied.push(step.result.emptied)
      state = step.state
    }
    expect(emptied).toEqual([false, false, true])
    const refused = spend(state, T0, [minute], credits())
    expect(refused.result).toMatchObject({
      outcome: 'credits_exhausted',
      credits: 0,
      retryAfterMs: null,
      buckets: [{ remaining: 57 }],
    })
  })

  it('replaces the balance with the refill amount at each interval, and not before', () => {
    const rule = credits({ refill: { amount: 10, intervalMs: 1000 } })
    const spentDown = spend(fresh(), T0 + 100, [], rule, 3)
    expect(spentDown.result).toMatchObject({ outcome: 'spent', credits: 0 })
    expect(spend(spentDown.state, T0 + 999, [], rule).result).toMatchObject({
      outcome: 'credits_exhausted',
      retryAfterMs: 1,
    })
    const refilled = spend(spentDown.state, T0 + 1000, [], rule)
    expect(refilled.result).toMatchObject({ outcome: 'spent', credits: 9 })
    // A refill replaces: 9 left at 1 999 ms, 10 (not 19) at 2 000 ms.
    expect(balanceAt(refilled.state.key.credits, rule, T0 + 2000).remaining).toBe(10)
    expect(nextRefill(rule, T0 + 2000)).toBe(T0 + 3000)
  })

  it('refills a balance kept through a change of refill one interval after the change, not at it', () => {
    const before = spend(fresh(), T0, [], credits(), 0).state
    const spentDown = spend(before, T0, [], credits(), 1).state
    // The refill is set at T0 + 5000 (refillFrom), keeping the balance (same generation): 2.
    const changed = credits({ refill: { amount: 50, intervalMs: 1000 }, refillFrom: T0 + 5000 })
    expect(balanceAt(spentDown.key.credits, changed, T0 + 5000).remaining).toBe(2)
    expect(balanceAt(spentDown.key.credits, changed, T0 + 5999).remaining).toBe(2)
    expect(balanceAt(spentDown.key.credits, changed, T0 + 6000).remaining).toBe(50)
  })

  it('starts again from the set balance when an admin sets a new one (a new generation)', () => {
    const spentDown = spend(fresh(), T0, [], credits(), 3)
    const reset = spend(spentDown.state, T0, [], credits({ generation: 2, initial: 5 }))
    expect(reset.result).toMatchObject({ outcome: 'spent', credits: 4 })
  })
})
