import type { VerifySuccess } from './core/verify-result'
import { authenticator } from './http/authenticate'
import { DEFAULT_BODY_LIMIT } from './http/body'
import type { AuthOptions, ErrorOptions, HttpResponse, RouterOptions } from './http/http-types'
import { credentialHeaders, type NodeRequestLike, toHttpRequest } from './http/node-request'
import {
  permissionRefusal,
  readPermissionRequirement,
  requireVerified,
} from './http/permission-checks'
import { reportFault } from './http/report'
import { handleManagement, managementAuthenticator } from './http/routes'
import type { Keycycle } from './service/keycycle'

// Types `ctx.state.apiKey` for hosts using @types/koa. The directive below keeps the emitted
// koa.d.ts valid for a host with koa but without @types/koa (an untyped module cannot be
// augmented: TS2665, reported when skipLibCheck is off); it is a one-line JSDoc comment because
// the declaration bundler keeps those and drops `//` comments. test/http/types.test.ts checks it.
// biome-ignore lint/suspicious/noTsIgnore: @ts-expect-error would fail where koa is typed
/** @ts-ignore TS2665 when koa has no types: then there is nothing to augment. */
declare module 'koa' {
  interface DefaultState {
    /** Set by `apiKeyAuth`; read it with `requireKey(ctx)` rather than `ctx.state.apiKey!`. */
    apiKey?: VerifySuccess
  }
}

/** The parts of a Koa context the middleware uses. */
export interface KoaContextLike {
  req: NodeRequestLike
  /** The URL, query included. */
  url: string
  /** The URL as received, before any mounting rewrote `url`. */
  originalUrl?: string
  /** Koa's request; a body parser, if any, leaves the parsed body in `request.body`. */
  request: object
  status: number
  body: unknown
  set(name: string, value: string): void
  state: { apiKey?: VerifySuccess } & Record<string, unknown>
}

export type KoaMiddleware = (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<void>

/** How the Koa middlewares report faults: `onError` receives the context. */
export type KoaErrorOptions = ErrorOptions<KoaContextLike>

/** Where the Koa middlewares find the connection's peer (default: `ctx.req.socket`). */
export interface KoaAddressOptions {
  /**
   * The address of the connection's peer, instead of `ctx.req.socket.remoteAddress`;
   * `trustProxy` then applies on top of it. Return `ctx.request.ip` here to use Koa's own
   * `app.proxy` resolution deliberately (and leave `trustProxy` unset).
   */
  getClientIp?: (ctx: KoaContextLike) => string | null | undefined
}

/** Options of the Koa `apiKeyAuth`. */
export interface KoaAuthOptions extends AuthOptions, KoaAddressOptions, KoaErrorOptions {}

const peerOf = (options: KoaAddressOptions) =>
  options.getClientIp ?? ((ctx: KoaContextLike) => ctx.req.socket?.remoteAddress)

/** Options of the Koa `keysRouter`: Koa has no mounting, so the router takes a path prefix. */
export interface KoaRouterOptions
  extends Omit<RouterOptions, 'isAdmin'>,
    KoaAddressOptions,
    KoaErrorOptions {
  /** Decides whether a request comes from an admin (see `RouterOptions.isAdmin`); receives the context. */
  isAdmin?: (ctx: KoaContextLike) => boolean | string | Promise<boolean | string>
  /** Serve the API under this path, e.g. `/api/v1`. Default: the root. */
  prefix?: string
}

function send(ctx: KoaContextLike, response: HttpResponse): void {
  ctx.status = response.status
  for (const [name, value] of Object.entries(response.headers)) ctx.set(name, value)
  ctx.body = response.body ?? null
}

// Reports the fault a response answers, then sends it, or rethrows the fault for Koa's own
// error handling when the host asked for unexpected faults (`passErrors`).
function answer(ctx: KoaContextLike, response: HttpResponse, options: KoaErrorOptions): void {
  if (reportFault(response, ctx, options) === 'pass') throw response.fault
  send(ctx, response)
}

/**
 * Koa middleware that admits only requests with exactly one usable key and sets
 * `ctx.state.apiKey`. A retiring token passes with a `Sunset` header.
 *
 * @example
 * ```ts
 * router.get('/reports', apiKeyAuth(kc), (ctx) => { ctx.body = requireKey(ctx).key.organisation })
 * ```
 */
export function apiKeyAuth(kc: Keycycle, options: KoaAuthOptions = {}): KoaMiddleware {
  const authenticate = authenticator(kc, options)
  const peer = peerOf(options)
  return async (ctx, next) => {
    const outcome = await authenticate({
      method: ctx.req.method ?? 'GET',
      target: ctx.originalUrl ?? ctx.url,
      headers: credentialHeaders(ctx.req),
      peer: peer(ctx),
    })
    if (!outcome.ok) return answer(ctx, outcome.response, options)
    for (const name in outcome.headers) ctx.set(name, outcome.headers[name]!)
    ctx.state.apiKey = outcome.result
    await next()
  }
}

/** Koa middleware serving the management API (`docs/http-hosts.md#keysrouter`); other paths go on to `next`. */
export function keysRouter(kc: Keycycle, options: KoaRouterOptions = {}): KoaMiddleware {
  const limit = options.bodyLimit ?? DEFAULT_BODY_LIMIT
  const prefix = (options.prefix ?? '').replace(/\/$/, '')
  managementAuthenticator(kc, options as RouterOptions)
  const peer = peerOf(options)
  return async (ctx, next) => {
    if (
      prefix &&
      ctx.url !== prefix &&
      !ctx.url.startsWith(`${prefix}/`) &&
      !ctx.url.startsWith(`${prefix}?`)
    ) {
      return void (await next())
    }
    const url = ctx.url.slice(prefix.length) || '/'
    const request = toHttpRequest(
      ctx.req,
      url,
      ctx.originalUrl ?? ctx.url,
      ctx,
      limit,
      () => (ctx.request as { body?: unknown }).body,
    )
    request.peer = peer(ctx)
    const response = await handleManagement(kc, request, options as RouterOptions)
    if (response === null) return void (await next())
    answer(ctx, response, options)
  }
}

/**
 * The verified key `apiKeyAuth` set in `ctx.state`. Throws `KeycycleError('unauthorized')`
 * (status 401, which Koa answers) when the middleware did not run for this request.
 */
export function requireKey(ctx: { state: { apiKey?: VerifySuccess | undefined } }): VerifySuccess {
  return requireVerified(ctx.state.apiKey)
}

/**
 * Koa middleware, after `apiKeyAuth`, that answers 403 `forbidden` unless the key's
 * `permissions` satisfy `query`: a name, granted exactly or by a wildcard grant ending in `*`
 * after `:`, `.` or `/` (`reports:*` grants `reports:read`) or `*` alone, or names joined by
 * `AND` / `OR` with parentheses (`'reports:read AND (billing:read OR admin)'`). Throws
 * `validation` for a query that does not parse. Without a verified key it answers 401.
 */
export function requirePermission(query: string, options: KoaErrorOptions = {}): KoaMiddleware {
  const required = readPermissionRequirement(query)
  return async (ctx, next) => {
    const refusal = permissionRefusal(ctx.state.apiKey, required)
    if (refusal) return answer(ctx, refusal, options)
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
export type { NodeRequestLike } from './http/node-request'
export { hasPermission } from './http/permission-checks'
export type { SecretScanningKoaContext } from './secret-scanning/koa'
export { secretScanning } from './secret-scanning/koa'
