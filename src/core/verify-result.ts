import type { BucketState } from './counters'
import type { EffectiveConfig, Key, Slot } from './types'

/**
 * Why a token was refused. The first three must look identical to a client. The last four
 * are given only once the token is valid and its key usable, in this order: the client's
 * address, the permissions asked for, the rate limits, the credits. A signed request
 * (`kc.verifyRequest`) may also be `stale_signature` (its timestamp missing or more than 5
 * minutes from the server's clock, decided before any read) or `replayed` (its signature
 * already accepted by this instance within the window); hosts answer both as the first three.
 */
export type VerifyFailureCode =
  | 'malformed'
  | 'not_found'
  | 'invalid'
  | 'stale_signature'
  | 'replayed'
  | 'deactivated'
  | 'blocked'
  | 'expired'
  | 'ip_forbidden'
  | 'insufficient_permissions'
  | 'rate_limited'
  | 'credits_exhausted'

/** A rate limit as a verification left it: whole units left, and when it is full again. */
export type RateLimitState = BucketState

/**
 * A token that verified. The whole result is deep-frozen, on every store, cached or not: read
 * it, copy it to change it. Results for one stored version of a key share their `key` and
 * `config` objects.
 */
export interface VerifySuccess {
  readonly ok: true
  /** The key at verification time; `key.organisation`, `key.type`, `key.permissions` included. */
  readonly key: Key
  /** Which slot the token belongs to. */
  readonly slot: Slot
  /** True when the token is a retiring one, still accepted until `graceEndsAt`. */
  readonly rotating: boolean
  /** Epoch ms when a retiring token stops working; null for a current token. */
  readonly graceEndsAt: number | null
  readonly config: EffectiveConfig
  /** The balance left after this verification's cost; null when the key's credits are unlimited. */
  readonly credits: { readonly remaining: number } | null
  /** Each rate limit in force once this verification's units are taken; empty without any. */
  readonly rateLimits: readonly RateLimitState[]
  /**
   * Present only when the spend was served from or took a lease (`usage: { mode: 'leased' }`):
   * the balance and limits above are then this instance's estimate, and across a fleet a limit
   * may let through up to `instances × leaseUnits` more than it allows in a window; credits are
   * never overspent.
   */
  readonly usageAccuracy?: { readonly mode: 'leased'; readonly leaseUnits: number }
  /**
   * Epoch ms at which the key's record was read from the store: now for an uncached answer,
   * earlier (within the cache's bound) for a cached one.
   */
  readonly checkedAt: number
}

/** A token that did not verify, and why (frozen, as a success is). */
export interface VerifyFailure {
  readonly ok: false
  readonly code: VerifyFailureCode
  /** As {@link VerifySuccess.checkedAt}; for `malformed`, the time of the call (no read). */
  readonly checkedAt: number
  /**
   * `rate_limited`: ms until the request's cost would fit every limit; `credits_exhausted`:
   * ms until the next refill. Absent when waiting cannot help (a cost above a limit, credits
   * without a refill) and for every other code.
   */
  readonly retryAfterMs?: number
  /** `rate_limited` and `credits_exhausted`: each rate limit as it stands (nothing was taken). */
  readonly rateLimits?: readonly RateLimitState[]
  /** `rate_limited` and `credits_exhausted`: the balance as it stands (null: unlimited). */
  readonly credits?: { readonly remaining: number } | null
}

/** The outcome of `verify`: a value, never an exception, for any token. */
export type VerifyResult = VerifySuccess | VerifyFailure
