import type {
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify'
import type { VerifySuccess } from './core/verify-result'
import { authenticator } from './http/authenticate'
import { DEFAULT_BODY_LIMIT, readJsonBody } from './http/body'
import type { AuthOptions, ErrorOptions, HttpResponse, RouterOptions } from './http/http-types'
import { credentialHeaders, responseText } from './http/node-request'
import {
  permissionRefusal,
  readPermissionRequirement,
  requireVerified,
} from './http/permission-checks'
import { reportFault } from './http/report'
import { handleManagement, managementAuthenticator, SERVED_PATHS } from './http/routes'
import { OPENAPI_PATH } from './openapi'
import type { Keycycle } from './service/keycycle'

// Types `request.apiKey`. The directive keeps the emitted fastify.d.ts valid where fastify's
// types cannot be found (an untyped module cannot be augmented: TS2665), as in koa.ts; it is a
// one-line JSDoc comment because the declaration bundler keeps those and drops `//` comments.
// biome-ignore lint/suspicious/noTsIgnore: @ts-expect-error would fail where fastify is typed
/** @ts-ignore TS2665 when fastify has no types: then there is nothing to augment. */
declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `apiKeyAuth`; read it with `requireKey(request)` rather than `request.apiKey!`. */
    apiKey?: VerifySuccess
  }
}

/** How the Fastify hooks and routes report faults: `onError` receives the Fastify request. */
export type FastifyErrorOptions = ErrorOptions<FastifyRequest>

/** Where the Fastify hooks find the connection's peer (default: `request.raw.socket`). */
export interface FastifyAddressOptions {
  /**
   * The address of the connection's peer, instead of `request.raw.socket.remoteAddress`;
   * `trustProxy` then applies on top of it. Return `request.ip` here to use Fastify's own
   * `trustProxy` resolution deliberately (and leave keycycle's `trustProxy` unset).
   */
  getClientIp?: (request: FastifyRequest) => string | null | undefined
}

/** Options of the Fastify `apiKeyAuth`. */
export interface FastifyAuthOptions
  extends AuthOptions,
    FastifyAddressOptions,
    FastifyErrorOptions {}

const peerOf = (options: FastifyAddressOptions) =>
  options.getClientIp ?? ((request: FastifyRequest) => request.raw.socket?.remoteAddress)

/** Options of the Fastify `keysRouter`; `isAdmin` and `onError` receive the Fastify request. */
export interface FastifyRouterOptions
  extends Omit<RouterOptions, 'isAdmin'>,
    FastifyAddressOptions,
    FastifyErrorOptions {
  /** Decides whether a request comes from an admin (see `RouterOptions.isAdmin`). */
  isAdmin?: (request: FastifyRequest) => boolean | string | Promise<boolean | string>
}

// The paths the management router owns, as Fastify routes: a wildcard also matches the path
// with a trailing slash. Every method is routed, so authentication comes first for all.
const ROUTES = SERVED_PATHS.flatMap(({ path, subtree }) => (subtree ? [path, `${path}/*`] : [path]))

function send(reply: FastifyReply, response: HttpResponse): FastifyReply {
  reply.code(response.status)
  for (const name in response.headers) reply.header(name, response.headers[name]!)
  const text = responseText(response)
  if (text === undefined) return reply.send()
  return reply.type('application/json; charset=utf-8').send(text)
}

// Reports the fault a response answers, then sends it, or rethrows the fault for Fastify's
// error handler when the host asked for unexpected faults (`passErrors`).
function answer(
  request: FastifyRequest,
  reply: FastifyReply,
  response: HttpResponse,
  options: FastifyErrorOptions,
): FastifyReply {
  if (reportFault(response, request, options) === 'pass') throw response.fault
  return send(reply, response)
}

/**
 * A Fastify `preHandler` hook that admits only requests with exactly one usable key (see the
 * README for the headers and statuses) and sets `request.apiKey`. A retiring token passes with
 * a `Sunset` header. Fails closed with 503 when the store is down. Use it on a route
 * (`{ preHandler: apiKeyAuth(kc) }`) or on every route of a scope
 * (`app.addHook('preHandler', apiKeyAuth(kc))`).
 *
 * @example
 * ```ts
 * app.get('/whoami', { preHandler: apiKeyAuth(kc) }, (request) => requireKey(request).key.organisation)
 * ```
 */
export function apiKeyAuth(
  kc: Keycycle,
  options: FastifyAuthOptions = {},
): preHandlerAsyncHookHandler {
  const authenticate = authenticator(kc, options)
  const peer = peerOf(options)
  return async (request, reply) => {
    const outcome = await authenticate({
      method: request.method,
      target: request.originalUrl,
      headers: credentialHeaders(request.raw),
      peer: peer(request),
    })
    if (!outcome.ok) return answer(request, reply, outcome.response, options)
    for (const name in outcome.headers) reply.header(name, outcome.headers[name]!)
    request.apiKey = outcome.result
  }
}

/**
 * A Fastify plugin serving the management API (`docs/http-hosts.md#keysrouter`): `app.register(keysRouter(kc))`, or
 * under a path with `app.register(keysRouter(kc), { prefix: '/api/v1' })`. It reads JSON
 * bodies itself (its routes take every content type as an unparsed stream, so Fastify's
 * parsers answer nothing before authentication). NCP's `/api/v1//api-keys/…` needs the
 * instance's `routerOptions: { ignoreDuplicateSlashes: true }`.
 */
export function keysRouter(kc: Keycycle, options: FastifyRouterOptions = {}): FastifyPluginAsync {
  const limit = options.bodyLimit ?? DEFAULT_BODY_LIMIT
  const neutral = options as RouterOptions
  managementAuthenticator(kc, neutral)
  const peer = peerOf(options)
  return async (instance) => {
    // Only this plugin's routes: Fastify scopes content-type parsers to the plugin.
    instance.removeAllContentTypeParsers()
    instance.addContentTypeParser('*', (_request, payload, done) => done(null, { payload }))
    const prefix = instance.prefix
    // The document's path is routed only when asked for, so it stays free for the host.
    for (const url of options.openapi ? [...ROUTES, OPENAPI_PATH] : ROUTES) {
      instance.all(url, async (request, reply) => {
        const [path = '/', search = ''] = request.url.slice(prefix.length).split('?', 2)
        const parsed = request.body as { payload?: AsyncIterable<Uint8Array | string> } | undefined
        const type = request.headers['content-type']
        const response = await handleManagement(
          kc,
          {
            method: request.method,
            path: path || '/',
            target: request.originalUrl,
            query: new URLSearchParams(search),
            headers: credentialHeaders(request.raw),
            raw: request,
            peer: peer(request),
            body: () => readJsonBody(parsed?.payload ?? request.raw, type, limit),
          },
          neutral,
        )
        if (response === null) return reply.callNotFound()
        return answer(request, reply, response, options)
      })
    }
  }
}

/**
 * The verified key `apiKeyAuth` set on `request`. Throws `KeycycleError('unauthorized')`
 * (status 401, which Fastify's error handler answers) when the hook did not run for this
 * request.
 */
export function requireKey(request: { apiKey?: VerifySuccess | undefined }): VerifySuccess {
  return requireVerified(request.apiKey)
}

/**
 * A Fastify `preHandler` hook, after `apiKeyAuth`, that answers 403 `forbidden` unless the key's
 * `permissions` satisfy `query`: a name, granted exactly or by a wildcard grant ending in `*`
 * after `:`, `.` or `/` (`reports:*` grants `reports:read`) or `*` alone, or names joined by
 * `AND` / `OR` with parentheses (`'reports:read AND (billing:read OR admin)'`). Throws
 * `validation` for a query that does not parse. Without a verified key it answers 401.
 */
export function requirePermission(
  query: string,
  options: FastifyErrorOptions = {},
): preHandlerAsyncHookHandler {
  const required = readPermissionRequirement(query)
  return async (request, reply) => {
    const refusal = permissionRefusal(request.apiKey, required)
    if (refusal) return answer(request, reply, refusal, options)
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
export type { FastifySecretScanningOptions } from './secret-scanning/fastify'
export { secretScanning } from './secret-scanning/fastify'
