import type { CreateKeyInput, KeyPatch, ListKeysQuery, OrganisationPatch } from '../core/inputs'
import type { KeyUsageQuery } from '../core/key-usage'
import {
  DEACTIVATE_OPTIONS,
  inputFromWire,
  KEY_FIELDS,
  LIST_QUERY,
  ORGANISATION_FIELDS,
  ROTATE_OPTIONS,
  USAGE_QUERY,
  wireInputError,
} from '../core/schema'
import type { RotateOptions } from '../service/key-commands'
import type { DeactivateOptions } from '../service/state-commands'

// These only rename and decode: the service validates every value at run time, whatever its
// static type. The result types say what the service is handed, so routes need no casts.

/**
 * A key creation body (ricloud `POST /keys`) as service input: wire names to domain names, ISO
 * dates to epoch ms. Fields creation does not take are `validation` errors naming the wire
 * field; values are checked by the service. An empty or `null` body is `{}`.
 */
export function createKeyFromWire(body: unknown): CreateKeyInput {
  return inputFromWire(KEY_FIELDS, body, 'create')
}

/** A key update body (`POST /keys/{id}`) as a service patch; see {@link createKeyFromWire}. */
export function keyPatchFromWire(body: unknown): KeyPatch {
  return inputFromWire(KEY_FIELDS, body, 'patch')
}

/** An organisation defaults body (`POST /organisation`) as a service patch. */
export function organisationPatchFromWire(body: unknown): OrganisationPatch {
  return inputFromWire(ORGANISATION_FIELDS, body, 'patch')
}

/** The body of `POST /keys/{id}/rotate`: `{ force?, slot? }`. */
export function rotateOptionsFromWire(body: unknown): RotateOptions {
  return inputFromWire(ROTATE_OPTIONS, body, 'create')
}

/** The body of `POST /keys/{id}/deactivate`: `{ allow_lockout? }`. */
export function deactivateOptionsFromWire(body: unknown): DeactivateOptions {
  return inputFromWire(DEACTIVATE_OPTIONS, body, 'create')
}

/** A body that must be empty (`{}`, `null` or none), as state changes without options take. */
export function noOptionsFromWire(body: unknown): void {
  inputFromWire({}, body, 'create')
}

/**
 * List query parameters (ricloud `GET /keys`) as a service query. A parameter given twice is
 * ambiguous and refused; unknown parameters are refused like unknown body fields.
 */
export function listQueryFromWire(query: URLSearchParams): ListKeysQuery {
  return inputFromWire(LIST_QUERY, onceEach(query), 'create')
}

/**
 * Usage query parameters (`GET /keys/{id}/usage`: `from`, `to` as ISO 8601 date-times,
 * `granularity`) as a service query, refused as {@link listQueryFromWire} refuses.
 */
export function usageQueryFromWire(query: URLSearchParams): KeyUsageQuery {
  return inputFromWire(USAGE_QUERY, onceEach(query), 'create')
}

// Query parameters as an object; a parameter given twice is ambiguous and refused.
function onceEach(query: URLSearchParams): Record<string, string> {
  const params: Record<string, string> = {}
  for (const [param, value] of query) {
    if (param in params) throw wireInputError(param, 'given more than once')
    params[param] = value
  }
  return params
}
