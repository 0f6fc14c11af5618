import type { RateLimit } from '../core/types'
import type { RateLimitState } from '../core/verify-result'

/**
 * The rate-limit fields of draft-ietf-httpapi-ratelimit-headers for one verification's limits:
 * `RateLimit-Policy` (`"api";q=100;w=60`: each limit's quota and window in seconds) and
 * `RateLimit` (`"api";r=42;t=18`: units remaining and seconds until the limit is full again),
 * one list member per limit, in the key's order, joined by `, `. Seconds are rounded up; `t`
 * is never negative. A limit whose window `windows` does not hold has no policy member. No
 * fields (an empty record) without any limit. `now` is epoch ms, from the service's clock.
 *
 * @example
 * rateLimitFields([{ name: 'api', limit: 100, remaining: 42, resetAt: now + 17_500 }], [{ name: 'api', windowMs: 60_000 }], now)
 * // { 'ratelimit-policy': '"api";q=100;w=60', ratelimit: '"api";r=42;t=18' }
 */
export function rateLimitFields(
  states: readonly RateLimitState[],
  windows: readonly Pick<RateLimit, 'name' | 'windowMs'>[],
  now: number,
): Record<string, string> {
  if (states.length === 0) return {}
  const policy: string[] = []
  const current: string[] = []
  for (const state of states) {
    // Names are [a-z0-9_-], so they need no escaping inside a structured-field string.
    const name = `"${state.name}"`
    const window = windows.find((w) => w.name === state.name)
    if (window) policy.push(`${name};q=${state.limit};w=${Math.ceil(window.windowMs / 1000)}`)
    const reset = Math.max(0, Math.ceil((state.resetAt - now) / 1000))
    current.push(`${name};r=${state.remaining};t=${reset}`)
  }
  const fields: Record<string, string> = { ratelimit: current.join(', ') }
  if (policy.length > 0) fields['ratelimit-policy'] = policy.join(', ')
  return fields
}

/** `Retry-After` for a wait of `ms` (seconds, rounded up); none when the wait is unknown. */
export function retryAfterField(ms: number | undefined): Record<string, string> {
  return ms === undefined ? {} : { 'retry-after': String(Math.ceil(ms / 1000)) }
}
