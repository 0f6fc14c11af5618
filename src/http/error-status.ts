import { KeycycleError, type KeycycleErrorCode } from '../core/errors'

/** Codes a refused credential is answered with (`verify`'s outcomes, as a client sees them). */
export type RefusedCredentialCode =
  | 'unauthorized'
  | 'deactivated'
  | 'blocked'
  | 'expired'
  | 'ip_forbidden'
  | 'insufficient_permissions'
  | 'rate_limited'
  | 'credits_exhausted'

/**
 * Codes only the HTTP layer answers with: a method the route lacks, a body larger than a
 * route takes (a secret scanning report), and unexpected faults.
 */
export type HttpOnlyErrorCode = 'method_not_allowed' | 'payload_too_large' | 'internal'

/** Every `error` code a keycycle error response can carry. */
export type ErrorCode = KeycycleErrorCode | RefusedCredentialCode | HttpOnlyErrorCode

/**
 * The HTTP status of every error code: the one place a status is chosen. Every HTTP response
 * and `KeycycleError.status` read it; nothing else maps codes to statuses.
 */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  retiring_token: 403,
  deactivated: 403,
  blocked: 403,
  expired: 403,
  ip_forbidden: 403,
  insufficient_permissions: 403,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  invalid_transition: 409,
  conflict: 409,
  lockout: 409,
  limit: 409,
  rate_limited: 429,
  credits_exhausted: 429,
  internal: 500,
  misconfigured: 500,
  unavailable: 503,
}

/** The HTTP status a thrown value is answered with: its code's for a `KeycycleError`, else 500. */
export function errorStatus(error: unknown): number {
  return error instanceof KeycycleError ? ERROR_STATUS[error.code] : ERROR_STATUS.internal
}

// `KeycycleError.status`, for hosts whose framework answers a thrown error with its `status`
// (Express's and Koa's default error handlers, Fastify's): `requireKey` throwing `unauthorized`
// becomes a 401 with no error handler of the host's own. The core declares the property and
// chooses nothing; the status is defined here, from the map, as an accessor on the prototype,
// when this module loads: every host entry loads it (their responses read the map). Frameworks
// also write it (Koa's `ctx.onerror` sets `err.status`), so a write makes it the error's own
// plain property, as a field would be.
Object.defineProperty(KeycycleError.prototype, 'status', {
  configurable: true,
  get(this: KeycycleError): number {
    return ERROR_STATUS[this.code]
  },
  set(this: KeycycleError, value: unknown) {
    Object.defineProperty(this, 'status', {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    })
  },
})
