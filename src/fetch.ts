import type { VerifySuccess } from './core/verify-result'
import { type Authenticator, authenticator } from './http/authenticate'
import { DEFAULT_BODY_LIMIT } from './http/body'
import {
  fetchHeaders,
  fromFetchRequest,
  normalisePrefix,
  pathUnder,
  requestTarget,
  toFetchResponse,
  withHeaders,
} from './http/fetch-request'
import type { AuthOptions, ErrorOptions, HttpResponse, RouterOptions } from './http/http-types'
import { permissionRefusal, readPermissionRequirement } from './http/permission-checks'
import { reportFault } from './http/report'
import { handleManagement, managementAuthenticator } from './http/routes'
import type { Keycycle } from './service/keycycle'

// keycycle/fetch: the Fetch API's `Request` and `Response`, for Bun, Deno, Next.js route
// handlers, Cloudflare Workers and anything else that speaks them. Nothing Node-only may be
// imported here (test/packaging/fetch-bundle.test.ts checks the built files).

/** How the fetch helpers report faults: `onError` receives the `Request`. */
export type FetchErrorOptions = ErrorOptions<Request>

/** Where the fetch helpers find the connection's peer: a `Request` does not carry it. */
export interface FetchAddressOptions {
  /**
   * The address of the connection's peer, from the request and the runtime's further
   * arguments (Bun's `server.requestIP(request)?.address`, Deno's `info.remoteAddr.hostname`);
   * `trustProxy` then applies on top of it. Without it the address is unknown, whatever the
   * headers say: keys with `allowedIps` are refused.
   */
  getClientIp?(request: Request, ...args: unknown[]): string | null | undefined
}

/** Options of `authenticateRequest` and `apiKeyAuth`. */
export interface FetchAuthOptions extends AuthOptions, FetchAddressOptions, FetchErrorOptions {}

/** Options of the fetch `keysRouter`. */
export interface FetchRouterOptions
  extends Omit<RouterOptions, 'isAdmin'>,
    FetchAddressOptions,
    FetchErrorOptions {
  /** Decides whether a request comes from an admin (see `RouterOptions.isAdmin`); receives the `Request`. */
  isAdmin?: (request: Request) => boolean | string | Promise<boolean | string>
  /** Serve the API under this path, e.g. `/api/v1`. Default: the root. */
  prefix?: string
}

/**
 * The outcome of `authenticateRequest`: the verified key, with the headers to add to the response
 * (`Sunset` for a retiring token), or the ready 401, 403 or 503 `Response` to return as is.
 */
export type RequestVerification =
  | { ok: true; apiKey: VerifySuccess; headers: Record<string, string> }
  | { ok: false; response: Response }

/** A handler behind `apiKeyAuth`: the request, its verified key, then the runtime's own arguments. */
export type AuthenticatedHandler<Args extends unknown[] = []> = (
  request: Request,
  apiKey: VerifySuccess,
  ...args: Args
) => Response | Promise<Response>

/** A Fetch handler: a `Request` (and whatever the runtime passes after it) to a `Response`. */
export type FetchHandler<Args extends unknown[] = []> = (
  request: Request,
  ...args: Args
) => Promise<Response>

/**
 * The management router: a `Response`, or null for a path that is not the router's. The
 * runtime's further arguments go to `getClientIp`.
 */
export type FetchRouter = (request: Request, ...args: unknown[]) => Promise<Response | null>

// Reports the fault a response answers and turns it into a `Response`, or rethrows the fault
// when the host asked for unexpected faults (`passErrors`).
function answer(response: HttpResponse, request: Request, options: FetchErrorOptions): Response {
  if (reportFault(response, request, options) === 'pass') throw response.fault
  return toFetchResponse(response)
}

const verifier =
  (authenticate: Authenticator, options: FetchAuthOptions) =>
  async (request: Request, args: unknown[] = []): Promise<RequestVerification> => {
    const peer = options.getClientIp?.(request, ...args)
    const outcome = await authenticate({
      method: request.method,
      target: requestTarget(request.url),
      headers: fetchHeaders(request.headers),
      peer,
    })
    if (!outcome.ok) return { ok: false, response: answer(outcome.response, request, options) }
    return { ok: true, apiKey: outcome.result, headers: outcome.headers }
  }

/**
 * Verifies the one key a `Request` carries (see the README for the headers and statuses), for
 * hosts that route requests themselves. Returns the verified key, or the ready `Response` (401
 * for a missing or bad key, 403 for a deactivated, blocked or expired one, 503 when the store
 * is down). Never throws for a bad key; with `passErrors`, rethrows unexpected faults.
 *
 * @example
 * ```ts
 * const verified = await authenticateRequest(kc, request)
 * if (!verified.ok) return verified.response
 * return Response.json({ organisation: verified.apiKey.key.organisation }, { headers: verified.headers })
 * ```
 */
export function authenticateRequest(
  kc: Keycycle,
  request: Request,
  options: FetchAuthOptions = {},
  ...args: unknown[]
): Promise<RequestVerification> {
  return verifier(authenticator(kc, options), options)(request, args)
}

/**
 * Wraps a handler so it runs only for requests with exactly one usable key, receiving the
 * verified key after the request; the runtime's further arguments (Next.js's `context`, Bun's
 * `server`, a Worker's `env`) follow it. Other requests get the 401, 403 or 503 of
 * `authenticateRequest`. A retiring token's response carries a `Sunset` header.
 *
 * @example
 * ```ts
 * export const GET = apiKeyAuth(kc, (request, apiKey) => Response.json(apiKey.key.organisation))
 * ```
 */
export function apiKeyAuth<Args extends unknown[] = []>(
  kc: Keycycle,
  handler: AuthenticatedHandler<Args>,
  options: FetchAuthOptions = {},
): FetchHandler<Args> {
  const verify = verifier(authenticator(kc, options), options)
  return async (request, ...args) => {
    const verified = await verify(request, args)
    if (!verified.ok) return verified.response
    return withHeaders(await handler(request, verified.apiKey, ...args), verified.headers)
  }
}

/**
 * Wraps a handler behind `apiKeyAuth` so it runs only when the key's
 * `permissions` satisfy `query`: a name, granted exactly or by a wildcard grant ending in `*`
 * after `:`, `.` or `/` (`reports:*` grants `reports:read`) or `*` alone, or names joined by
 * `AND` / `OR` with parentheses (`'reports:read AND (billing:read OR admin)'`). Throws
 * `validation` for a query that does not parse. Otherwise answers 403 `forbidden`.
 *
 * @example
 * ```ts
 * export const GET = apiKeyAuth(kc, requirePermission('reports:read', () => Response.json([])))
 * ```
 */
export function requirePermission<Args extends unknown[] = []>(
  query: string,
  handler: AuthenticatedHandler<Args>,
  options: FetchErrorOptions = {},
): AuthenticatedHandler<Args> {
  const required = readPermissionRequirement(query)
  return async (request, apiKey, ...args) => {
    const refusal = permissionRefusal(apiKey, required)
    if (refusal) return answer(refusal, request, options)
    return handler(request, apiKey, ...args)
  }
}

/**
 * The management API (`docs/decisions.md#wire-api-and-errors`) as a function of a `Request`: its `Response`, or null when the
 * path is not one of the router's (`/keys…`, `/key`, `/organisation`, `/api-keys…` under
 * `prefix`), so the host answers it: `(await keys(request)) ?? app(request)`. Reads the JSON
 * body itself.
 *
 * @example
 * ```ts
 * const keys = keysRouter(kc, { prefix: '/api/v1' })
 * Bun.serve({ fetch: async (request) => (await keys(request)) ?? new Response('not found', { status: 404 }) })
 * ```
 */
export function keysRouter(kc: Keycycle, options: FetchRouterOptions = {}): FetchRouter {
  const limit = options.bodyLimit ?? DEFAULT_BODY_LIMIT
  const prefix = normalisePrefix(options.prefix)
  const neutral = options as RouterOptions
  managementAuthenticator(kc, neutral)
  return async (request, ...args) => {
    const url = new URL(request.url)
    const path = pathUnder(url, prefix)
    if (path === null) return null
    const neutralRequest = fromFetchRequest(request, url, path, request, limit)
    neutralRequest.peer = options.getClientIp?.(request, ...args)
    const response = await handleManagement(kc, neutralRequest, neutral)
    return response === null ? null : answer(response, request, options)
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
export { secretScanning } from './secret-scanning/fetch'
