import { KeycycleError } from '../core/errors'
import {
  type PermissionQuery,
  parsePermissionQuery,
  satisfiesQuery,
} from '../core/permission-query'
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

/** A route's permission requirement, parsed once: the query and the text it was written as. */
export interface PermissionRequirement {
  readonly text: string
  readonly query: PermissionQuery
}

/**
 * Parses `requirePermission`'s argument: a permission name, or names joined by `AND` / `OR`
 * with parentheses (`'reports:read AND (billing:read OR admin)'`), as `kc.verify`'s
 * `permissions` takes them. Throws `validation` (field `permission`) for anything else.
 */
export function readPermissionRequirement(text: unknown): PermissionRequirement {
  if (typeof text !== 'string' || text === '') {
    throw new KeycycleError('validation', 'permission: must be a non-empty string', {
      details: { field: 'permission' },
    })
  }
  return { text, query: parsePermissionQuery(text, 'permission') }
}

/**
 * Why a request may not go on to a route needing `required`: a 401 (a fault: `apiKeyAuth` did
 * not run) without a verified key, 403 `forbidden` when the key's permissions (wildcard grants
 * included) do not satisfy it, with `params.permission` the requirement as written; null to go
 * on.
 */
export function permissionRefusal(
  apiKey: VerifySuccess | undefined,
  required: PermissionRequirement,
): HttpResponse | null {
  if (!apiKey) return faultResponse(missingKey())
  if (satisfiesQuery(required.query, apiKey.key.permissions)) return null
  const { text } = required
  return errorResponse('forbidden', `this API key lacks the permission ${text}`, {
    permission: text,
  })
}
