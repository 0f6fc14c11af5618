import type { ErrorCode } from '../http/error-status'

/** What the document says about one route of the management router, beyond the route table. */
export interface OperationDoc {
  operationId: string
  summary: string
  description: string
  tag: 'keys' | 'organisation' | 'ncp'
  /** The request body's schema (a name in `components.schemas`); bodies are always optional. */
  body?: string
  /** Query parameters: the list query, or the `organisation` an admin names. */
  query?: 'list' | 'organisation' | 'usage'
  /** The success status, its schema (a name in `components.schemas`) and what it means. */
  success: { status: number; schema: string; description: string }
  /**
   * Error codes this route may answer besides those every route may (refused credentials, store
   * faults, unexpected faults) and those every write may (`retiring_token`).
   */
  errors: ErrorCode[]
}

/** Codes any request to the router may be answered with. */
export const EVERY_ROUTE: readonly ErrorCode[] = [
  'unauthorized',
  'deactivated',
  'blocked',
  'expired',
  'ip_forbidden',
  'internal',
  'misconfigured',
  'unavailable',
]

/** Codes any request that changes something may be answered with (any method but GET). */
export const EVERY_WRITE: readonly ErrorCode[] = ['retiring_token']

const TRANSITION: ErrorCode[] = ['validation', 'not_found', 'invalid_transition', 'conflict']

/** Descriptions by `METHOD /path` as the route table spells it (`{id}` for the path's ID). */
export const OPERATIONS: Readonly<Record<string, OperationDoc>> = {
  'GET /keys': {
    operationId: 'listKeys',
    summary: 'List keys',
    description:
      "A page of the organisation's keys, newest first (ricloud *list*). An organisation lists its own; an admin names one with `organisation`.",
    tag: 'keys',
    query: 'list',
    success: { status: 200, schema: 'KeyList', description: 'A page of keys.' },
    errors: ['validation', 'not_found', 'forbidden'],
  },
  'POST /keys': {
    operationId: 'createKey',
    summary: 'Create a key',
    description:
      'Creates a key and returns it with its `token`, the only time the token is shown (ricloud *create*). An organisation creates its own; an admin names the organisation and may set `type`, `permissions`, `date_expires` and usage control (`rate_limits`, `credits`, `allowed_ips`).',
    tag: 'keys',
    body: 'CreateKeyRequest',
    success: { status: 201, schema: 'KeyWithToken', description: 'The new key and its token.' },
    errors: ['validation', 'forbidden', 'not_found', 'conflict', 'limit'],
  },
  'GET /keys/{id}': {
    operationId: 'getKey',
    summary: 'Retrieve a key',
    description:
      'One key as of now, with its effective state (ricloud *retrieve*). Tokens are never shown again, only their hints. An unknown, malformed or foreign ID is 404 alike.',
    tag: 'keys',
    success: { status: 200, schema: 'Key', description: 'The key.' },
    errors: ['not_found'],
  },
  'POST /keys/{id}': {
    operationId: 'updateKey',
    summary: 'Update a key',
    description:
      'Changes the fields given and keeps the others; `null` reverts a config ID or a `config` field to the organisation default (ricloud *update*). On an expired key, an admin moving `date_expires` into the future re-activates it.',
    tag: 'keys',
    body: 'UpdateKeyRequest',
    success: { status: 200, schema: 'Key', description: 'The updated key.' },
    errors: ['validation', 'forbidden', 'not_found', 'invalid_transition', 'conflict'],
  },
  'DELETE /keys/{id}': {
    operationId: 'deleteKey',
    summary: 'Delete a key',
    description:
      "Deletes the key: it stops verifying at once, is gone from reads and lists, and no digest of it stays stored. An organisation's last active standard key needs `allow_lockout`.",
    tag: 'keys',
    body: 'DeactivateKeyRequest',
    success: { status: 200, schema: 'DeletedKey', description: 'The ID of the deleted key.' },
    errors: ['validation', 'not_found', 'conflict', 'lockout'],
  },
  'POST /keys/{id}/rotate': {
    operationId: 'rotateKey',
    summary: 'Rotate a key',
    description:
      "Mints a new token for a slot (ricloud *rotate*). Without `force` the previous token keeps working for the grace period (default 6 hours), never past the key's own expiry; with `force` it stops at once.",
    tag: 'keys',
    body: 'RotateKeyRequest',
    success: { status: 200, schema: 'KeyWithToken', description: 'The key and its new token.' },
    errors: TRANSITION,
  },
  'POST /keys/{id}/deactivate': {
    operationId: 'deactivateKey',
    summary: 'Deactivate a key',
    description:
      "active → deactivated. An organisation's last active standard key needs `allow_lockout`.",
    tag: 'keys',
    body: 'DeactivateKeyRequest',
    success: { status: 200, schema: 'Key', description: 'The deactivated key.' },
    errors: [...TRANSITION, 'lockout'],
  },
  'POST /keys/{id}/activate': {
    operationId: 'activateKey',
    summary: 'Activate a key',
    description: 'deactivated → active.',
    tag: 'keys',
    body: 'EmptyRequest',
    success: { status: 200, schema: 'Key', description: 'The activated key.' },
    errors: TRANSITION,
  },
  'POST /keys/{id}/block': {
    operationId: 'blockKey',
    summary: 'Block a key',
    description: 'Admin only: active or deactivated → blocked; retiring tokens stop at once.',
    tag: 'keys',
    body: 'EmptyRequest',
    success: { status: 200, schema: 'Key', description: 'The blocked key.' },
    errors: [...TRANSITION, 'forbidden'],
  },
  'POST /keys/{id}/unblock': {
    operationId: 'unblockKey',
    summary: 'Unblock a key',
    description: 'Admin only: blocked → active.',
    tag: 'keys',
    body: 'EmptyRequest',
    success: { status: 200, schema: 'Key', description: 'The unblocked key.' },
    errors: [...TRANSITION, 'forbidden'],
  },
  'GET /keys/{id}/config': {
    operationId: 'getEffectiveConfig',
    summary: "A key's effective configuration",
    description:
      'Each configuration value the key actually uses, with where it comes from: the key, its organisation, or the library default.',
    tag: 'keys',
    success: {
      status: 200,
      schema: 'EffectiveConfig',
      description: 'The effective values and their sources.',
    },
    errors: ['not_found'],
  },
  'GET /keys/{id}/usage': {
    operationId: 'getKeyUsage',
    summary: "A key's usage analytics",
    description:
      "The key's verifications by outcome (`success`, or the refusal's code) in hourly or daily UTC buckets over `[from, to)`, empty buckets included, with the range's totals. Counts are written behind, every `lastUsedFlushMs`; hours older than the retention (default 90 days) are pruned. An organisation reads its own keys', an admin any.",
    tag: 'keys',
    query: 'usage',
    success: {
      status: 200,
      schema: 'KeyUsage',
      description: 'The buckets and totals.',
    },
    errors: ['validation', 'not_found'],
  },
  'GET /key': {
    operationId: 'getCurrentKey',
    summary: 'The key making the request',
    description:
      'The key whose token authenticated this request. An admin request without a key is 400.',
    tag: 'keys',
    success: { status: 200, schema: 'Key', description: 'The calling key.' },
    errors: ['validation', 'not_found'],
  },
  'GET /organisation': {
    operationId: 'getOrganisation',
    summary: 'Retrieve the organisation',
    description:
      "The calling key's organisation and its defaults; an admin names one with the `organisation` query parameter.",
    tag: 'organisation',
    query: 'organisation',
    success: { status: 200, schema: 'Organisation', description: 'The organisation.' },
    errors: ['validation', 'not_found'],
  },
  'POST /organisation': {
    operationId: 'updateOrganisation',
    summary: "Update the organisation's defaults",
    description:
      'Changes the defaults its keys inherit; `null` reverts to the library default. Keys without an override follow at once. Only an admin may set `rate_limits` and `allowed_ips`.',
    tag: 'organisation',
    query: 'organisation',
    body: 'UpdateOrganisationRequest',
    success: { status: 200, schema: 'Organisation', description: 'The updated organisation.' },
    errors: ['validation', 'forbidden', 'not_found', 'conflict'],
  },
  'PATCH /api-keys/{id}': {
    operationId: 'regenerateApiKey',
    summary: 'Regenerate an API key (NCP)',
    description:
      "NCP API Gateway's *regenerate API key*: replaces the primary or secondary token at once (the old value stops working) and returns the new value in full, the other masked. Regenerating SECONDARY on a key without one creates it. NCP clients mount the router at `/api/v1`.",
    tag: 'ncp',
    body: 'RegenerateApiKeyRequest',
    success: {
      status: 200,
      schema: 'NcpApiKeyResponse',
      description: 'The key in NCP form, with the regenerated value.',
    },
    errors: TRANSITION,
  },
}
