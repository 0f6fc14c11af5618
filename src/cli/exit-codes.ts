import type { KeycycleErrorCode } from '../core/errors'
import type { RefusedCredentialCode } from '../http/error-status'

/** Exit statuses that are not an error code of the library's. */
export const EXIT = {
  /** The command did what it was asked. */
  ok: 0,
  /** Something unexpected failed (a bug, or a driver error keycycle does not classify). */
  internal: 1,
  /** The command line is wrong: unknown command or option, missing or malformed value. */
  usage: 2,
  /** This version of the library cannot do what the command asks (e.g. `key delete`). */
  unsupported: 3,
  /** The store URL needs a driver package that is not installed. */
  missingDriver: 4,
} as const

/**
 * One exit status per `KeycycleError` code, and per refused-credential code (what `verify`
 * answers for a token that does not verify). The README's table is this one.
 */
export const ERROR_EXIT: Readonly<Record<KeycycleErrorCode | RefusedCredentialCode, number>> = {
  validation: 10,
  unauthorized: 11,
  forbidden: 12,
  retiring_token: 13,
  deactivated: 14,
  blocked: 15,
  expired: 16,
  not_found: 17,
  invalid_transition: 18,
  conflict: 19,
  lockout: 20,
  limit: 21,
  unavailable: 22,
  misconfigured: 23,
  ip_forbidden: 24,
  insufficient_permissions: 25,
  rate_limited: 26,
  credits_exhausted: 27,
}
