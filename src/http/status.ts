import { KeycycleError } from '../core/errors'
import type { VerifyFailureCode } from '../core/verify'
import type { HttpResponse } from './types'

// The one place an HTTP status is chosen. Faults carry theirs (ERROR_STATUS, via
// KeycycleError.status); refused credentials are mapped here.
const REFUSED_KEY_STATUS: Record<'deactivated' | 'blocked' | 'expired', number> = {
  deactivated: 403,
  blocked: 403,
  expired: 403,
}

/** A JSON error response: `{ error: { code, message } }`. */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): HttpResponse {
  return { status, headers, body: { error: { code, message } } }
}

/**
 * The single 401 for a missing, malformed, unknown or wrong token: same status, headers and
 * body whichever it was, so a client learns nothing about which keys exist.
 */
export function unauthorized(realm: string): HttpResponse {
  return errorResponse(401, 'unauthorized', 'a valid API key is required', {
    'www-authenticate': `Token realm="${realm}", Bearer realm="${realm}"`,
  })
}

/** The response for a refused credential. */
export function refusedKey(code: VerifyFailureCode | 'missing', realm: string): HttpResponse {
  if (code === 'deactivated' || code === 'blocked' || code === 'expired') {
    return errorResponse(REFUSED_KEY_STATUS[code], code, `this API key is ${code}`)
  }
  return unauthorized(realm)
}

const CAMEL_TO_SNAKE = /[A-Z]/g

/** The wire spelling of a service field name: `storageConfig` → `storage_config`. */
export function snakeCase(field: string): string {
  return field.replace(CAMEL_TO_SNAKE, (c) => `_${c.toLowerCase()}`)
}

/**
 * Maps anything thrown while handling a request. A `KeycycleError` keeps its status and code,
 * with field names in wire spelling; anything else is a 500 that reveals nothing.
 */
export function faultResponse(error: unknown): HttpResponse {
  if (!(error instanceof KeycycleError)) return errorResponse(500, 'internal', 'internal error')
  const field = error.details.field
  const message = field ? error.message.replace(field, snakeCase(field)) : error.message
  return errorResponse(
    error.status,
    error.code,
    message,
    error.code === 'unavailable' ? { 'retry-after': '1' } : {},
  )
}
