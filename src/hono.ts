import type { Context, MiddlewareHandler } from 'hono'
import type { VerifySuccess } from './core/verify-result'
import { authenticator } from './http/authenticate'
import { DEFAULT_BODY_LIMIT } from './http/body'
import { faultResponse } from './http/error-responses'
import {
  fetchHeaders,
  fromFetchRequest,
  normalisePrefix,
  pathUnder,
  requestTarget,
  toFetchResponse,
} from './http/fetch-request'
import type { AuthOptions, ErrorOptions, HttpResponse, RouterOptions } from './http/http-types'
import {
  permissionRefusal,
  readPermissionRequirement,
  requireVerified,
} from './http/permission-checks'
import { reportFault } from './http/report'
import { handleManagement, managementAuthenticator } from './http/routes'
import type { Keycycle } from './service/keycycle'

// keycycle/hono imports nothing from hono at run time: middleware is a plain function of the
// context, and errors Hono should answer carry `getResponse`, which Hono's error handling reads
// from any error (as it does from its own HTTPException).

/** The context variables `apiKeyAuth` sets: `c.var.apiKey`. */
export interface ApiKeyVariables {
  /** The verified key, its effective config and rotation status. */
  apiKey: VerifySuccess
}

/** The Hono environment of routes behind `apiKeyAuth`; `new Hono<ApiKeyEnv>()` types `c.var.apiKey`. */
export interface ApiKeyEnv {
  Variables: ApiKeyVariables
}

/** How the Hono middlewares report faults: `onError` receives the context. */
export type HonoErrorOptions = ErrorOptions<Context>

/** Where the Hono middlewares find the connection's peer. */
export interface HonoAddressOptions {
  /**
   * The address of the connection's peer; `trustProxy` then applies on top of it. Default:
   * `c.env.incoming.socket.remoteAddress`, which @hono/node-server provides; on other runtimes
   * pass the adapter's conninfo, e.g. `(c) => getConnInfo(c).remote.address` from `hono/bun`,
   * `hono/deno` or `hono/cloudflare-workers`. Without either, the address is unknown: keys with
   * `allowedIps` are refused.
   */
  getClientIp?: (c: Context) => string | null | undefined
}

/** Options of the Hono `apiKeyAuth`. */
export interface HonoAuthOptions extends AuthOptions, HonoAddressOptions, HonoErrorOptions {}

type NodeBindings = { incoming?: { socket?: { remoteAddress?: string } } } | undefined

const peerOf = (options: HonoAddressOptions) =>
  options.getClientIp ?? ((c: Context) => (c.env as NodeBindings)?.incoming?.socket?.remoteAddress)

/** Options of the Hono `keysRouter`. */
export interface HonoRouterOptions
  extends Omit<RouterOptions, 'isAdmin'>,
    HonoAddressOptions,
    HonoErrorOptions {
  /** Decides whether a request comes from an admin (see `RouterOptions.isAdmin`); receives the context. */
  isAdmin?: (c: Context) => boolean | string | Promise<boolean | string>
  /**
   * Serve the API under this path, e.g. `/api/v1`, for `app.use('/api/v1/*', …)`: Hono
   * passes middleware the whole path. Default: the root.
   */
  prefix?: string
}

// Reports the fault a response answers and turns it into a `Response`, or rethrows the fault for
// the app's `onError` when the host asked for unexpected faults (`passErrors`).
function answer(c: Context, response: HttpResponse, options: HonoErrorOptions): Response {
  if (reportFault(response, c, options) === 'pass') throw response.fault
  return toFetchResponse(response)
}

/**
 * Hono middleware that admits only requests with exactly one usable key (see the README for
 * the headers and statuses) and sets `c.var.apiKey`, typed for the handlers after it. A
 * retiring token passes with a `Sunset` header. Fails closed with 503 when the store is down.
 *
 * @example
 * ```ts
 * app.get('/whoami', apiKeyAuth(kc), (c) => c.json(c.var.apiKey.key.organisation))
 * ```
 */
export function apiKeyAuth(
  kc: Keycycle,
  options: HonoAuthOptions = {},
): MiddlewareHandler<ApiKeyEnv> {
  const authenticate = authenticator(kc, options)
  const peer = peerOf(options)
  return async (c, next) => {
    const outcome = await authenticate({
      method: c.req.method,
      target: requestTarget(c.req.raw.url),
      headers: fetchHeaders(c.req.raw.headers),
      peer: peer(c),
    })
    if (!outcome.ok) return answer(c, outcome.response, options)
    for (const name in outcome.headers) c.header(name, outcome.headers[name]!)
    c.set('apiKey', outcome.result)
    await next()
  }
}

/**
 * Hono middleware serving the management API (`docs/http-hosts.md#keysrouter`); other paths go on to `next`. Mount it
 * with `app.use(keysRouter(kc))`, or under a path with `app.use('/api/v1/*', keysRouter(kc, {
 * prefix: '/api/v1' }))`. Reads the JSON body itself.
 */
export function keysRouter(kc: Keycycle, options: HonoRouterOptions = {}): MiddlewareHandler {
  const limit = options.bodyLimit ?? DEFAULT_BODY_LIMIT
  const prefix = normalisePrefix(options.prefix)
  const neutral = options as RouterOptions
  managementAuthenticator(kc, neutral)
  const peer = peerOf(options)
  return async (c, next) => {
    const url = new URL(c.req.url)
    const path = pathUnder(url, prefix)
    const response =
      path === null
        ? null
        : await handleManagement(
            kc,
            { ...fromFetchRequest(c.req.raw, url, path, c, limit), peer: peer(c) },
            neutral,
          )
    if (response === null) return void (await next())
    return answer(c, response, options)
  }
}

/**
 * The verified key `apiKeyAuth` set in `c.var`. Throws `KeycycleError('unauthorized')` (status
 * 401, which Hono's error handling answers) when the middleware did not run for this request.
 */
export function requireKey(c: Context): VerifySuccess {
  try {
    return requireVerified((c.var as { apiKey?: VerifySuccess }).apiKey)
  } catch (error) {
    // Hono answers any error with `getResponse()` by that response, ours the one 401.
    throw Object.assign(error as Error, {
      getResponse: () => toFetchResponse(faultResponse(error)),
    })
  }
}

/**
 * Hono middleware, after `apiKeyAuth`, that answers 403 `forbidden` unless the key's
 * `permissions` satisfy `query`: a name, granted exactly or by a wildcard grant ending in `*`
 * after `:`, `.` or `/` (`reports:*` grants `reports:read`) or `*` alone, or names joined by
 * `AND` / `OR` with parentheses (`'reports:read AND (billing:read OR admin)'`). Throws
 * `validation` for a query that does not parse. Without a verified key it answers 401.
 */
export function requirePermission(
  query: string,
  options: HonoErrorOptions = {},
): MiddlewareHandler<ApiKeyEnv> {
  const required = readPermissionRequirement(query)
  return async (c, next) => {
    const refusal = permissionRefusal((c.var as { apiKey?: VerifySuccess }).apiKey, required)
    if (refusal) return answer(c, refusal, options)
    await next()
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
export { hasPermission } from './http/permission-checks'
export { secretScanning } from './secret-scanning/hono'
