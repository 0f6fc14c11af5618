import { KeycycleError } from '../core/errors'
import type { VerifyFailureCode } from '../core/verify-result'
import { ERROR_STATUS, type ErrorCode } from './error-status'
import type { HttpResponse } from './http-types'
import { wireFieldPath } from './wire-names'

/** What an error response's `params` may carry; `field` in wire spelling. */
export type ErrorParams = Partial<Record<'field' | 'from' | 'to' | 'actor' | 'permission', string>>

/**
 * An error response in the body ricloud's own client reads (`RequestError.parse_content` takes
 * `error`, `message` and `params` from the top level): `{ error, message, params }`. The status
 * comes from `ERROR_STATUS`, so it always agrees with the code.
 */
export function errorResponse(
  code: ErrorCode,
  message: string,
  params: ErrorParams = {},
  headers: Record<string, string> = {},
): HttpResponse {
  return { status: ERROR_STATUS[code], headers, body: { error: code, message, params } }
}

const challenge = (realm: string) => ({
  'www-authenticate': `Token realm="${realm}", Bearer realm="${realm}"`,
})

/**
 * The single 401 for a missing, malformed, unknown or wrong token: same status, headers and
 * body whichever it was, so a client learns nothing about which keys exist.
 */
export function unauthorized(realm: string): HttpResponse {
  return errorResponse('unauthorized', 'a valid API key is required', {}, challenge(realm))
}

// Headers a fault's answer carries: when to retry, or how to authenticate.
function faultHeaders(code: string): Record<string, string> {
  if (code === 'unavailable') return { 'retry-after': '1' }
  if (code === 'unauthorized') return challenge('keycycle')
  return {}
}

/**
 * The response for a refused credential: 401 `unauthorized` for a missing, malformed, unknown
 * or wrong token, else the refusal's own code and status (403 or 429). `headers` (usage fields:
 * `Retry-After`, `RateLimit`) go on a 429 only.
 */
export function refusedKey(
  code: VerifyFailureCode | 'missing',
  realm: string,
  headers: Record<string, string> = {},
): HttpResponse {
  switch (code) {
    case 'deactivated':
    case 'blocked':
    case 'expired':
      return errorResponse(code, `this API key is ${code}`)
    case 'ip_forbidden':
      return errorResponse(code, 'this API key may not be used from this address')
    case 'insufficient_permissions':
      return errorResponse(code, 'this API key lacks a permission this request needs')
    case 'rate_limited':
      return errorResponse(
        code,
        'this API key has made too many requests; retry later',
        {},
        headers,
      )
    case 'credits_exhausted':
      return errorResponse(code, 'this API key has no credits left', {}, headers)
    default:
      return unauthorized(realm)
  }
}

// `message` with every mention of `field` (as a whole name: not part of a longer name or path)
// spelt `wire` instead.
function renamed(message: string, field: string, wire: string): string {
  if (wire === field) return message
  const name = field.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return message.replace(new RegExp(`(?<![\\w.$])${name}(?![\\w$])`, 'g'), wire)
}

/**
 * Maps anything thrown while handling a request, keeping the thrown value as `fault` for
 * `onError`. A `KeycycleError` keeps its code and status; `params.field` names the field its
 * details carry in wire spelling (`date_expires`, not `expiresAt`), and so does the message,
 * wherever it names that field (`pass allow_lockout to …`, not `pass allowLockout`); `from`,
 * `to`, `actor` are carried when present. Anything else is a 500 that reveals nothing.
 */
export function faultResponse(error: unknown): HttpResponse {
  if (!(error instanceof KeycycleError)) {
    return { ...errorResponse('internal', 'internal error'), fault: error }
  }
  const { field, from, to, actor } = error.details
  const params: ErrorParams = {}
  let message = error.message
  if (field !== undefined) {
    params.field = wireFieldPath(field, error)
    message = renamed(message, field, params.field)
  }
  if (from !== undefined) params.from = from
  if (to !== undefined) params.to = to
  if (actor !== undefined) params.actor = actor
  return { ...errorResponse(error.code, message, params, faultHeaders(error.code)), fault: error }
}
