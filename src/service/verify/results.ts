import type { BucketState } from '../../core/counters'
import type { Verdict } from '../../core/decide-verification'
import type { VerifyFailureCode, VerifyResult, VerifySuccess } from '../../core/verify-result'
import type { KeyView } from './shared-views'

// The pipeline's results, each frozen with everything in it (step 7 and the refusals).

/** The rate limits of a key without any. */
export const NO_LIMITS: readonly BucketState[] = Object.freeze([])

/** `states`, each frozen, in a frozen list. */
export const frozenStates = (states: readonly BucketState[]): readonly BucketState[] => {
  for (const state of states) Object.freeze(state)
  return Object.freeze(states)
}

/** A refusal with no usage to report. */
export function refused(code: VerifyFailureCode, checkedAt: number): VerifyResult {
  return Object.freeze({ ok: false, code, checkedAt })
}

/** Step 7: the success result, frozen like everything in it. */
export function succeeded(
  verdict: Extract<Verdict, { ok: true }>,
  { key, config }: KeyView,
  checkedAt: number,
  credits: { readonly remaining: number } | null,
  rateLimits: readonly BucketState[],
  usageAccuracy: VerifySuccess['usageAccuracy'] | null = null,
): VerifyResult {
  const { slot, graceEndsAt } = verdict
  const rotating = graceEndsAt !== null
  // Two literals, not a spread: the result is built on every verification.
  if (usageAccuracy === null) {
    return Object.freeze({
      ok: true,
      key,
      slot,
      rotating,
      graceEndsAt,
      config,
      credits,
      rateLimits,
      checkedAt,
    })
  }
  return Object.freeze({
    ok: true,
    key,
    slot,
    rotating,
    graceEndsAt,
    config,
    credits,
    rateLimits,
    checkedAt,
    usageAccuracy,
  })
}
