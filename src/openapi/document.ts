import { version } from '../../package.json'
import { LIST_QUERY, USAGE_QUERY } from '../core/schema'
import { DEFAULT_API_KEY_HEADERS } from '../http/credentials'
import { ERROR_STATUS, type ErrorCode } from '../http/error-status'
import type { CredentialOptions } from '../http/http-types'
import { componentSchemas } from './components'
import { type JsonSchema, scalarSchema } from './json-schema'
import { EVERY_ROUTE, EVERY_WRITE, OPERATIONS, type OperationDoc } from './operations'

/** One entry of the router's route table: a path pattern and the methods it answers. */
export interface RouteSummary {
  pattern: RegExp
  methods: readonly string[]
}

/** An OpenAPI 3.1 document, as plain JSON data. */
export type OpenApiDocument = { openapi: '3.1.0' } & Record<string, unknown>

/** Where the router serves the document when its `openapi` option is on. */
export const OPENAPI_PATH = '/openapi.json'

/**
 * The path template of a route pattern: `^\/keys\/([^/]+)\/rotate$` → `/keys/{id}/rotate`.
 * Throws for a pattern that is more than literal segments and one ID, which the document could
 * not state.
 */
export function pathTemplate(pattern: RegExp): string {
  const path = pattern.source
    .replace(/^\^/, '')
    .replace(/\$$/, '')
    .replaceAll('\\/', '/')
    .replaceAll('([^/]+)', '{id}')
  if (!/^(?:\/(?:[a-z][a-z-]*|\{id\}))+$/.test(path)) {
    throw new Error(`openapi: the route pattern ${pattern} is not a plain path`)
  }
  return path
}

/** The security schemes the router accepts with `options`, by name. */
function securitySchemes(options: CredentialOptions): Record<string, JsonSchema> {
  const schemes: Record<string, JsonSchema> = {}
  for (const scheme of options.schemes ?? ['Token', 'Bearer']) {
    const name = scheme.toLowerCase()
    schemes[name] =
      name === 'bearer'
        ? { type: 'http', scheme: 'bearer', description: '`Authorization: Bearer <token>`.' }
        : {
            type: 'apiKey',
            in: 'header',
            name: 'Authorization',
            description: `\`Authorization: ${scheme} <token>\`${name === 'token' ? " (ricloud's form)" : ''}.`,
          }
  }
  for (const header of options.apiKeyHeaders ?? DEFAULT_API_KEY_HEADERS) {
    const name = header.toLowerCase().replace(/[^a-z0-9]+(.)/g, (_, c: string) => c.toUpperCase())
    schemes[name] = {
      type: 'apiKey',
      in: 'header',
      name: header,
      description: `\`${header}: <token>\`${/ncp/i.test(header) ? ' (as NCP clients send it)' : ''}.`,
    }
  }
  return schemes
}

const HEADERS = {
  Sunset: {
    description:
      'Present when the request was authenticated with a retiring token (RFC 8594): when it stops working.',
    schema: { type: 'string' },
  },
  'WWW-Authenticate': {
    description: 'The accepted `Authorization` schemes.',
    schema: { type: 'string' },
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again.',
    schema: { type: 'string' },
  },
  'RateLimit-Policy': {
    description:
      'Present when the key has rate limits (draft-ietf-httpapi-ratelimit-headers): each limit\'s quota and window in seconds, `"api";q=100;w=60`, comma-separated.',
    schema: { type: 'string' },
  },
  RateLimit: {
    description:
      'Present when the key has rate limits (draft-ietf-httpapi-ratelimit-headers): each limit\'s units remaining and seconds until it is full again, `"api";r=42;t=18`, comma-separated. Management requests take no unit.',
    schema: { type: 'string' },
  },
}

const headerRef = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` })

function codesByStatus(codes: readonly ErrorCode[]): Map<number, ErrorCode[]> {
  const out = new Map<number, ErrorCode[]>()
  for (const code of new Set(codes)) {
    const status = ERROR_STATUS[code]
    out.set(status, [...(out.get(status) ?? []), code])
  }
  return new Map([...out].sort(([a], [b]) => a - b))
}

// Error responses every operation shares, answered alike wherever they occur.
const SHARED: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  500: 'Internal',
  503: 'Unavailable',
}

function errorResponse(status: number, codes: readonly ErrorCode[]): JsonSchema {
  const headers =
    status === 401
      ? { 'WWW-Authenticate': headerRef('WWW-Authenticate') }
      : status === 503
        ? { 'Retry-After': headerRef('Retry-After') }
        : undefined
  return {
    description: codes.map((code) => `\`${code}\``).join(', '),
    ...(headers ? { headers } : {}),
    content: {
      'application/json': {
        // The error body, with the codes this status carries here.
        schema: { $ref: '#/components/schemas/Error', properties: { error: { enum: codes } } },
      },
    },
  }
}

function sharedResponses(): Record<string, JsonSchema> {
  const byStatus = codesByStatus(EVERY_ROUTE)
  return Object.fromEntries(
    Object.entries(SHARED).map(([status, name]) => [
      name,
      errorResponse(Number(status), byStatus.get(Number(status)) ?? []),
    ]),
  )
}

function errorResponses(codes: readonly ErrorCode[]): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {}
  for (const [status, atStatus] of codesByStatus(codes)) {
    const shared = SHARED[status]
    out[String(status)] = shared
      ? { $ref: `#/components/responses/${shared}` }
      : errorResponse(status, atStatus)
  }
  return out
}

function queryParameters(doc: OperationDoc): JsonSchema[] {
  if (doc.query === 'organisation') {
    const field = LIST_QUERY.organisation
    return [
      {
        name: field.wire,
        in: 'query',
        description: 'Admins only: the organisation to act on.',
        schema: scalarSchema(field.type, false, 'organisation'),
      },
    ]
  }
  if (doc.query === undefined) return []
  const fields = doc.query === 'list' ? LIST_QUERY : USAGE_QUERY
  return Object.entries(fields).map(([name, field]) => ({
    name: field.wire,
    in: 'query',
    description: field.doc,
    schema: scalarSchema(field.type, false, name),
  }))
}

function operation(method: string, path: string, doc: OperationDoc | undefined): JsonSchema {
  if (doc === undefined) {
    return {
      operationId: `${method.toLowerCase()}${path.replace(/[^a-z]+(.)?/gi, (_, c = '') => c.toUpperCase())}`,
      summary: `${method} ${path}`,
      description: 'Served by the router; not yet described in src/openapi/operations.ts.',
      responses: { default: { description: 'Any response.' }, ...errorResponses(EVERY_ROUTE) },
    }
  }
  const writes = method !== 'GET'
  const codes = [...doc.errors, ...(writes ? EVERY_WRITE : []), ...EVERY_ROUTE]
  const parameters = [
    ...(path.includes('{id}')
      ? [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }]
      : []),
    ...queryParameters(doc),
  ]
  return {
    operationId: doc.operationId,
    summary: doc.summary,
    description: doc.description,
    tags: [doc.tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(doc.body
      ? {
          requestBody: {
            required: false,
            content: {
              'application/json': { schema: { $ref: `#/components/schemas/${doc.body}` } },
            },
          },
        }
      : {}),
    responses: {
      [String(doc.success.status)]: {
        description: doc.success.description,
        headers: {
          Sunset: headerRef('Sunset'),
          'RateLimit-Policy': headerRef('RateLimit-Policy'),
          RateLimit: headerRef('RateLimit'),
        },
        content: {
          'application/json': { schema: { $ref: `#/components/schemas/${doc.success.schema}` } },
        },
      },
      ...errorResponses(codes),
    },
  }
}

const DESCRIPTION = `The management API of [keycycle](https://github.com/keycycle/keycycle): ricloud's *Key* resource and NCP API Gateway's *regenerate API key*, as \`keysRouter\` serves them wherever a host mounts it.

Every request to the router's paths (\`/keys…\`, \`/key\`, \`/organisation\`, \`/api-keys…\`) needs exactly one credential: one of the security schemes below. Without one usable credential the answer is the same 401 whatever the method or path. A retiring token (in its grace window after a rotation) may read but not change anything (403 \`retiring_token\`). A key with \`allowed_ips\` is refused from any other address (403 \`ip_forbidden\`). Managing keys spends no credit and takes no rate-limit unit (it is never answered 429); a key with rate limits gets \`RateLimit\` and \`RateLimit-Policy\` on its answers. Hosts may also let API administrators in without a key (the router's \`isAdmin\` option); admins name the organisation they act on.

Errors are \`{ "error", "message", "params" }\`; \`params.field\` names the offending field by its wire name. An ID that is unknown, malformed or another organisation's is 404 alike. An unknown path under the router's is 404 \`not_found\`, a method a path lacks 405 \`method_not_allowed\` with an \`Allow\` header.`

/**
 * The OpenAPI 3.1 document of the management router: its paths and methods from `routes` (the
 * route table), request and response schemas from the field schema, error responses from the
 * status map, security schemes from the credential options (the defaults when omitted). Pure
 * and deterministic. A route without a description in `OPERATIONS` is still listed, generically.
 */
export function openApiDocument(
  routes: readonly RouteSummary[],
  options: CredentialOptions = {},
): OpenApiDocument {
  const paths: Record<string, Record<string, JsonSchema>> = {}
  for (const route of routes) {
    const path = pathTemplate(route.pattern)
    const item: Record<string, JsonSchema> = {}
    for (const method of route.methods) {
      item[method.toLowerCase()] = operation(method, path, OPERATIONS[`${method} ${path}`])
    }
    paths[path] = item
  }
  paths[OPENAPI_PATH] = {
    get: {
      operationId: 'getOpenApiDocument',
      summary: 'This document',
      description:
        'Served only when the router is created with `openapi: true`, and without authentication: it describes the API and holds no data (the same document ships in the package as `keycycle/openapi.json`).',
      tags: ['meta'],
      security: [],
      responses: {
        '200': {
          description: 'The OpenAPI document.',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
        '404': {
          description:
            'Not served: the router was made without `openapi: true`, and the host answered the request itself.',
        },
      },
    },
  }
  const schemes = securitySchemes(options)
  return {
    openapi: '3.1.0',
    info: {
      title: 'keycycle management API',
      version,
      summary: 'API keys: create, list, update, rotate, regenerate and change their state.',
      description: DESCRIPTION,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/', description: 'Wherever the host mounts the router.' }],
    security: Object.keys(schemes).map((name) => ({ [name]: [] })),
    tags: [
      { name: 'keys', description: "ricloud's *Key* resource and its state changes." },
      { name: 'organisation', description: "The calling organisation's defaults." },
      { name: 'ncp', description: "NCP API Gateway's *regenerate API key*." },
      { name: 'meta', description: 'About the API itself.' },
    ],
    paths,
    components: {
      schemas: componentSchemas(),
      responses: sharedResponses(),
      headers: HEADERS,
      securitySchemes: schemes,
    },
  }
}

const served = new WeakMap<object, OpenApiDocument>()

/**
 * {@link openApiDocument} for a router's options, built once per options object: what the router
 * answers `GET /openapi.json` with when its `openapi` option is on.
 */
export function servedDocument(
  routes: readonly RouteSummary[],
  options: CredentialOptions,
): OpenApiDocument {
  let document = served.get(options)
  if (document === undefined) {
    document = openApiDocument(routes, options)
    served.set(options, document)
  }
  return document
}
