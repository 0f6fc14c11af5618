import { KeycycleError } from '../core/errors'
import { permissionGranted } from '../core/permissions'
import type { VerifySuccess } from '../core/verify-result'
import { errorResponse, faultResponse } from './error-responses'
import type { HttpResponse } from './http-types'

const missingKey = () =>
  new KeycycleError('unauthorized', 'no verified API key: apiKeyAuth did not run for this request')

/**
 * The verified key of a request `apiKeyAuth` admitted. Throws `KeycycleError('unauthorized')`
 * (status 401) when there is none, i.e. the middleware did not run for this request: failing
 * closed instead of letting a handler run without a key.
 */
export function requireVerified(apiKey: VerifySuccess | undefined): VerifySuccess {
  if (apiKey) return apiKey
  throw missingKey()
}

/**
 * True when `granted` (a key's `permissions`) grants `name`: an exact match, or a wildcard
 * grant (`reports:*`, `reports.*`, `reports/*`, or `*` for everything) covering it. The core's
 * `permissionGranted`, under the name the hosts export.
 */
export const hasPermission: (granted: readonly string[], name: string) => boolean =
  permissionGranted

/** Throws `validation` unless `name` is a non-empty string. */
export function checkPermissionName(name: unknown): string {
  if (typeof name !== 'string' || name === '') {
    throw new KeycycleError('validation', 'permission: must be a non-empty string', {
      details: { field: 'permission' },
    })
  }
  return name
}

/**
 * Why a request may not go on to a route needing `name`: a 401 (a fault: `apiKeyAuth` did not
 * run) without a verified key, 403 `forbidden` when the key lacks the permission; null to go on.
 */
export function permissionRefusal(
  apiKey: VerifySuccess | undefined,
  name: string,
): HttpResponse | null {
  if (!apiKey) return faultResponse(missingKey())
  if (hasPermission(apiKey.key.permissions, name)) return null
  return errorResponse('forbidden', `this API key lacks the permission ${name}`, {
    permission: name,
  })
}
