import type { VerifySuccess } from './core/verify-result'
import { authenticator } from './http/authenticate'
import { DEFAULT_BODY_LIMIT } from './http/body'
import type { AuthOptions, ErrorOptions, HttpResponse, RouterOptions } from './http/http-types'
import {
  credentialHeaders,
  type NodeRequestLike,
  responseText,
  toHttpRequest,
} from './http/node-request'
import {
  permissionRefusal,
  readPermissionRequirement,
  requireVerified,
} from './http/permission-checks'
import { reportFault } from './http/report'
import { handleManagement, managementAuthenticator } from './http/routes'
import type { Keycycle } from './service/keycycle'

declare global {
  namespace Express {
    interface Request {
      /**
       * Set by `apiKeyAuth`: the verified key, its effective config, and rotation status. Read
       * it with `requireKey(req)` rather than `req.apiKey!`.
       */
      apiKey?: VerifySuccess
    }
  }
}

/** The parts of an Express request the middleware reads. */
export interface ExpressRequestLike extends NodeRequestLike {
  body?: unknown
  apiKey?: VerifySuccess
}

/** Where the Express middlewares find the connection's peer (default: `req.socket`). */
export interface ExpressAddressOptions {
  /**
   * The address of the connection's peer, instead of `req.socket.remoteAddress`; `trustProxy`
   * then applies on top of it. Return `req.ip` here to use Express's own `trust proxy`
   * resolution deliberately (and leave `trustProxy` unset).
   */
  getClientIp?: (req: ExpressRequestLike) => string | null | undefined
}

/** The parts of an Express response the middleware writes. */
export interface ExpressResponseLike {
  statusCode: number
  setHeader(name: string, value: string): unknown
  end(body?: string): unknown
}

/** Express's `next`: on to the next middleware, or to error handling with an error. */
export type ExpressNext = (error?: unknown) => void

/** How the Express middlewares report faults: `onError` receives the Express `req`. */
export type ExpressErrorOptions = ErrorOptions<ExpressRequestLike>

/** Options of the Express `apiKeyAuth`. */
export interface ExpressAuthOptions
  extends AuthOptions,
    ExpressAddressOptions,
    ExpressErrorOptions {}

/** Options of the Express `keysRouter`; `isAdmin` and `onError` receive the Express request. */
export type ExpressRouterOptions = Omit<RouterOptions, 'isAdmin'> &
  ExpressAddressOptions &
  ExpressErrorOptions & {
    isAdmin?: (req: ExpressRequestLike) => boolean | string | Promise<boolean | string>
  }

export type ExpressMiddleware = (
  req: ExpressRequestLike,
  res: ExpressResponseLike,
  next: ExpressNext,
) => Promise<void>

const peerOf = (options: ExpressAddressOptions) =>
  options.getClientIp ?? ((req: ExpressRequestLike) => req.socket?.remoteAddress)

function send(res: ExpressResponseLike, response: HttpResponse): void {
  res.statusCode = response.status
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value)
  const text = responseText(response)
  if (text !== undefined) res.setHeader('content-type', 'application/json; charset=utf-8')
  res.end(text)
}

// Reports the fault a response answers, then sends it, or hands the fault to `next` when the
// host asked for unexpected faults (`passErrors`).
function answer(
  req: ExpressRequestLike,
  res: ExpressResponseLike,
  next: ExpressNext,
  response: HttpResponse,
  options: ExpressErrorOptions,
): void {
  if (reportFault(response, req, options) === 'pass') next(response.fault)
  else send(res, response)
}

/**
 * Express middleware that admits only requests with exactly one usable key (see the README for
 * the headers and statuses) and sets `req.apiKey`. A retiring token passes with a `Sunset`
 * header. Fails closed with 503 when the store is down.
 *
 * @example
 * ```ts
 * app.get('/reports', apiKeyAuth(kc), (req, res) => res.json(requireKey(req).key.organisation))
 * ```
 */
export function apiKeyAuth(kc: Keycycle, options: ExpressAuthOptions = {}): ExpressMiddleware {
  const authenticate = authenticator(kc, options)
  const peer = peerOf(options)
  return async (req, res, next) => {
    const outcome = await authenticate({
      method: req.method ?? 'GET',
      target: req.originalUrl ?? req.url ?? '/',
      headers: credentialHeaders(req),
      peer: peer(req),
    })
    if (!outcome.ok) return answer(req, res, next, outcome.response, options)
    for (const name in outcome.headers) res.setHeader(name, outcome.headers[name]!)
    req.apiKey = outcome.result
    next()
  }
}

/**
 * Express middleware serving the management API (`docs/http-hosts.md#keysrouter`) wherever it is mounted; requests
 * for other paths go on to `next`. Reads JSON bodies itself, or uses `req.body` when a body
 * parser ran first.
 */
export function keysRouter(kc: Keycycle, options: ExpressRouterOptions = {}): ExpressMiddleware {
  const limit = options.bodyLimit ?? DEFAULT_BODY_LIMIT
  const neutral = options as RouterOptions
  managementAuthenticator(kc, neutral)
  const peer = peerOf(options)
  return async (req, res, next) => {
    const target = req.originalUrl ?? req.url ?? '/'
    const request = toHttpRequest(req, req.url ?? '/', target, req, limit, () => req.body)
    request.peer = peer(req)
    const response = await handleManagement(kc, request, neutral)
    if (response === null) return next()
    answer(req, res, next, response, options)
  }
}

/**
 * The verified key `apiKeyAuth` set on `req`. Throws `KeycycleError('unauthorized')` (status
 * 401, which Express's error handler answers) when the middleware did not run for this request.
 */
export function requireKey(req: { apiKey?: VerifySuccess | undefined }): VerifySuccess {
  return requireVerified(req.apiKey)
}

/**
 * Express middleware, after `apiKeyAuth`, that answers 403 `forbidden` unless the key's
 * `permissions` satisfy `query`: a name, granted exactly or by a wildcard grant ending in `*`
 * after `:`, `.` or `/` (`reports:*` grants `reports:read`) or `*` alone, or names joined by
 * `AND` / `OR` with parentheses (`'reports:read AND (billing:read OR admin)'`). Throws
 * `validation` for a query that does not parse. Without a verified key it answers 401.
 */
export function requirePermission(
  query: string,
  options: ExpressErrorOptions = {},
): ExpressMiddleware {
  const required = readPermissionRequirement(query)
  return async (req, res, next) => {
    const refusal = permissionRefusal(req.apiKey, required)
    if (refusal) return answer(req, res, next, refusal, options)
    next()
  }
}

export type {
  AuthOptions,
  ClientAddressOptions,
  CredentialOptions,
  ErrorOptions,
  HeaderRecord,
  RouterOptions,
  RouteUsageOptions,
  TrustProxy,
} from './http/http-types'
export type { NodeRequestLike } from './http/node-request'
export { hasPermission } from './http/permission-checks'
export type { RawBodyRequestLike, RawBodyResponseLike } from './secret-scanning/express'
export { secretScanning } from './secret-scanning/express'
