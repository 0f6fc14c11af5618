import type { EffectiveConfig, Key, Slot } from './types'

/** Why a token was refused. The first three must look identical to a client. */
export type VerifyFailureCode =
  | 'malformed'
  | 'not_found'
  | 'invalid'
  | 'deactivated'
  | 'blocked'
  | 'expired'

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
}

/** The outcome of `verify`: a value, never an exception, for any token. */
export type VerifyResult = VerifySuccess | VerifyFailure
