// Pure data: src/core imports this file, so it must compile without Node types and may import
// types only.
import type { KeycycleErrorCode } from './core/errors'

/** Codes a refused credential is answered with (`verify`'s outcomes, as a client sees them). */
export type RefusedCredentialCode = 'unauthorized' | 'deactivated' | 'blocked' | 'expired'

/** Codes only the HTTP layer answers with: a method the route lacks, and unexpected faults. */
export type HttpOnlyErrorCode = 'method_not_allowed' | 'internal'

/** Every `error` code a keycycle error response can carry. */
export type ErrorCode = KeycycleErrorCode | RefusedCredentialCode | HttpOnlyErrorCode

/**
 * The HTTP status of every error code: the one place a status is chosen. `KeycycleError.status`
 * and every HTTP response read it; nothing else maps codes to statuses.
 */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  retiring_token: 403,
  deactivated: 403,
  blocked: 403,
  expired: 403,
  not_found: 404,
  method_not_allowed: 405,
  invalid_transition: 409,
  conflict: 409,
  lockout: 409,
  limit: 409,
  internal: 500,
  unavailable: 503,
}
