import type { ActorKind, KeyState } from './types'

/**
 * Stable machine-readable codes carried by every {@link KeycycleError}. `unauthorized` is for a
 * request that reached code needing a verified key without one (see `requireKey`).
 * `misconfigured` is for a store that cannot work as set up (its tables missing, under another
 * prefix, or of another shape): unlike `unavailable`, trying again does not help.
 */
export type KeycycleErrorCode =
  | 'validation'
  | 'unauthorized'
  | 'not_found'
  | 'forbidden'
  | 'retiring_token'
  | 'invalid_transition'
  | 'conflict'
  | 'lockout'
  | 'limit'
  | 'unavailable'
  | 'misconfigured'

/** Structured context for an error; never contains a token or a secret. */
export interface KeycycleErrorDetails {
  /**
   * The input field the error is about (camelCase, dotted for nested fields): the one at fault
   * for `validation` and `forbidden`, the one that would allow the action for `lockout`. Where
   * the message names it, it is spelt exactly so; the HTTP layer shows it in wire spelling there.
   */
  field?: string
  /** The effective state the key was in, for `invalid_transition` and `forbidden`. */
  from?: KeyState
  /** The state the refused action would have produced. */
  to?: KeyState
  /** Who attempted the action. */
  actor?: ActorKind | 'system'
}

// A registered symbol, so that `instanceof` holds even when a host loads both the ESM and the
// CommonJS build (or two copies of the package): the check reads a brand, not a prototype.
const BRAND = Symbol.for('keycycle.KeycycleError')

/**
 * The one exception type keycycle throws, for misuse (bad input, refused transitions) and for
 * infrastructure faults (`unavailable`). Outcomes such as a wrong token are values, not errors:
 * see `verify`. `message` is safe to show to API clients; it never contains a token.
 */
export class KeycycleError extends Error {
  /** Stable code; switch on this, not on `message`. */
  readonly code: KeycycleErrorCode
  /**
   * The HTTP status for `code`, for hosts whose framework answers a thrown error with its
   * `status` (Express's, Koa's and Fastify's default error handlers do). The core chooses no
   * status: keycycle's HTTP layer defines this, from its one status map, once any host entry
   * (`keycycle/express`, `/koa`, `/fastify`, `/hono`, `/fetch`) is loaded; without one it is
   * `undefined`. Not an own property, so it is not enumerated (`JSON.stringify`, spreads).
   */
  declare readonly status?: number
  readonly details: KeycycleErrorDetails

  constructor(
    code: KeycycleErrorCode,
    message: string,
    options: { cause?: unknown; details?: KeycycleErrorDetails } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'KeycycleError'
    this.code = code
    this.details = options.details ?? {}
    Object.defineProperty(this, BRAND, { value: true })
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && BRAND in value
  }
}

/** Shorthand for a `validation` error about one input field. */
export function invalidInput(field: string, message: string): KeycycleError {
  return new KeycycleError('validation', `${field}: ${message}`, { details: { field } })
}
