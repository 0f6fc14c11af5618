import type { RateLimit } from '../core/types'
import type { VerifyFailure, VerifySuccess } from '../core/verify-result'
import type { Keycycle } from '../service/keycycle'
import { rateLimitFields, retryAfterField } from './rate-limit-fields'

/** The usage headers of verifications' outcomes, for one service; see {@link usageFields}. */
export interface UsageFields {
  /** `RateLimit` and `RateLimit-Policy` of a success; an empty record for a key without limits. */
  succeeded(result: VerifySuccess): Record<string, string>
  /**
   * `Retry-After` (when the wait is known), `RateLimit` and `RateLimit-Policy` of a
   * `rate_limited` or `credits_exhausted` refusal of the key `keyId` (the token's, or a signed
   * request's access key; null when unknown); an empty record for other codes.
   */
  refused(keyId: string | null, result: VerifyFailure): Promise<Record<string, string>>
}

const NONE: Record<string, string> = Object.freeze({})
const MEMO_SIZE = 1024

// A refusal carries each limit's state, not its window: the windows come from the key's
// effective configuration, remembered from its last success here, else read once (a refused
// key's configuration is read at most once per instance until a success or a changed limit
// replaces it). A window changed with neither name nor limit changing shows in `w` from the
// key's next success on this instance.
const remembered = new WeakMap<Keycycle, Map<string, readonly RateLimit[]>>()

const covers = (limits: readonly RateLimit[], result: VerifyFailure) =>
  (result.rateLimits ?? []).every((state) =>
    limits.some((limit) => limit.name === state.name && limit.limit === state.limit),
  )

/** The usage headers of `kc`'s outcomes: times are told from `kc.now()`. */
export function usageFields(kc: Keycycle): UsageFields {
  let memo = remembered.get(kc)
  if (memo === undefined) {
    memo = new Map()
    remembered.set(kc, memo)
  }
  const windows = memo
  const remember = (keyId: string, limits: readonly RateLimit[]) => {
    if (windows.get(keyId) === limits) return
    if (windows.size >= MEMO_SIZE) windows.clear()
    windows.set(keyId, limits)
  }
  return {
    succeeded(result) {
      if (result.rateLimits.length === 0) return NONE
      const limits = result.config.rateLimits.value
      remember(result.key.id, limits)
      return rateLimitFields(result.rateLimits, limits, kc.now())
    },
    async refused(keyId, result) {
      if (result.code !== 'rate_limited' && result.code !== 'credits_exhausted') return NONE
      const retry = retryAfterField(result.retryAfterMs)
      const states = result.rateLimits ?? []
      if (states.length === 0 || keyId === null) return retry
      let limits = windows.get(keyId)
      if (limits === undefined || !covers(limits, result)) {
        try {
          limits = (await kc.resolveConfig(keyId)).rateLimits.value
          remember(keyId, limits)
        } catch {
          // The refusal stands without its policy: `RateLimit` alone still tells the state.
          limits = []
        }
      }
      return { ...retry, ...rateLimitFields(states, limits, kc.now()) }
    },
  }
}
