import type { Actor } from '../core/types'

/**
 * Header values by lower-case name. Credentials are read from every value a header was sent
 * with (Node's `headersDistinct`), since `req.headers` keeps only the first `Authorization`.
 */
export type HeaderRecord = Record<string, string | string[] | undefined>

/**
 * Every value a header was sent with, by lower-case name: undefined or null when it was not
 * sent. A string joining repeated values with commas (as Fetch's `Headers.get` returns them)
 * counts as repeated.
 */
export type HeaderLookup = (name: string) => string | readonly string[] | null | undefined

/** Where credentials are read from: a record of header values, or a lookup by name. */
export type HeaderSource = HeaderRecord | HeaderLookup

/** A request, as the framework files translate it. */
export interface HttpRequest {
  method: string
  /** The path relative to where the router is mounted, query string excluded. */
  path: string
  /**
   * The request target as received, path and query, from the server's root and not
   * normalised: what a signed request's signature covers.
   */
  target: string
  query: URLSearchParams
  /** Every value of every header, repeated ones included. */
  headers: HeaderSource
  /** Reads and parses the JSON body; called only by routes that take one. */
  body(): Promise<unknown>
  /** The host's own request object, passed to `isAdmin`. */
  raw: unknown
  /** The address of the connection's peer, as the host reads it; undefined when unknown. */
  peer?: string | null | undefined
}

/** A response for the framework file to write. */
export interface HttpResponse {
  status: number
  headers: Record<string, string>
  /** JSON-serialisable; undefined for no body. */
  body?: unknown
  /** What was thrown, when the response answers a fault; for `onError`, never sent. */
  fault?: unknown
}

/** How requests carry a key. */
export interface CredentialOptions {
  /** `Authorization` schemes accepted, case-insensitive. Default `['Token', 'Bearer']`. */
  schemes?: string[]
  /**
   * Headers carrying the bare token, case-insensitive. Default `['x-api-key',
   * 'x-ncp-apigw-api-key']` (NCP clients send the latter); `[]` for none.
   */
  apiKeyHeaders?: readonly string[]
  /** `realm` of the `WWW-Authenticate` challenge. Default `keycycle`. */
  realm?: string
}

/**
 * Which proxies in front of the app are trusted to report the client's address in
 * `X-Forwarded-For`: a number of hops (`1`: one proxy, the connection's peer, appends the
 * client's address; `2`: two proxies, and so on; the leftmost entry when the header lists
 * fewer), or the addresses and CIDR blocks of the trusted proxies (`['10.0.0.0/8', '::1']`:
 * entries are read back from the peer while they are trusted; the first that is not is the
 * client).
 */
export type TrustProxy = number | readonly string[]

/** Where the client's address comes from: the connection's peer, or a trusted proxy's report. */
export interface ClientAddressOptions {
  /**
   * The proxies trusted to set `X-Forwarded-For` (see {@link TrustProxy}). Default: none, so the
   * header is never read and a client cannot choose its own address: the address is the
   * connection's peer. Frameworks' own proxy settings (Express's `trust proxy`, Koa's
   * `app.proxy`, Fastify's `trustProxy`) are not read.
   */
  trustProxy?: TrustProxy
}

/** What a route asks of each request's key beyond a valid token (`kc.verify`'s options). */
export interface RouteUsageOptions {
  /**
   * Credits spent and units taken from each of the key's rate limits per request: an integer
   * from 0 to 1,000,000. Default 1.
   */
  cost?: number
  /**
   * The permissions the route needs, checked by `verify` (refused: 403
   * `insufficient_permissions`): a name, or names joined by `AND` / `OR` with parentheses, or an
   * array meaning all of them. Default: none.
   */
  permissions?: string | readonly string[]
}

/** Options of `apiKeyAuth`: how keys are carried, where the client is, what the route costs. */
export interface AuthOptions extends CredentialOptions, ClientAddressOptions, RouteUsageOptions {}

/** How a middleware reports the faults it answers. `Request` is the framework's own. */
export interface ErrorOptions<Request> {
  /**
   * Called with every error thrown while handling a request (a `KeycycleError`, or anything
   * else, answered 500) before the error response is sent, and with the framework's request
   * (Express `req`, Koa `ctx`). Refused credentials are outcomes, not errors, and are not
   * reported. Default: `console.error` of one line (status, code, message, and the cause's
   * message) for 5xx answers only, with anything shaped like a token redacted; a
   * `misconfigured` store's line once, not once per request.
   */
  onError?: (error: unknown, request: Request) => void
  /**
   * Hand unexpected faults (anything not a `KeycycleError`: the 500 case) to the framework
   * instead of answering them: Express `next(error)`, Koa rethrows. `onError` is not called for
   * them. `unavailable` (503) is always answered, with its `Retry-After`. Default false.
   */
  passErrors?: boolean
}

/**
 * Options of `keysRouter`. Its keys are verified with cost 0 and the client's address: managing
 * keys spends no credit and takes no rate-limit unit, so it is never refused for either (a key
 * out of credits can still read its balance), while a key's `allowedIps` apply to it as to any
 * route. Responses carry the key's `RateLimit` fields.
 */
export interface RouterOptions extends CredentialOptions, ClientAddressOptions {
  /**
   * Decides whether a request comes from an API administrator; return the admin's ID (or true
   * for `admin`) to act as admin. Admin requests need no key; they name the organisation with
   * an `organisation` field or query parameter, or present one of its keys. Default: never.
   */
  isAdmin?: (request: unknown) => boolean | string | Promise<boolean | string>
  /** Largest accepted body in bytes. Default 64 KiB, above the largest valid input. */
  bodyLimit?: number
  /** NCP `domainCode` in regenerate responses. Default `PUB`. */
  domainCode?: string
  /**
   * Answer `GET /openapi.json` (where the router is mounted) with the OpenAPI 3.1 document of
   * this router, without authentication: it describes the API and holds no data. Default false:
   * the path goes on to the host like any other.
   */
  openapi?: boolean
}

/** Who is calling, once authenticated, and on behalf of which organisation. */
export interface Caller {
  actor: Actor
  /** The organisation the request acts for; null for an admin who named none. */
  organisation: string | null
  /** The key that authenticated the request, if any. */
  keyId: string | null
  /** True when that key's token is a retiring one (in its grace window): reads only. */
  retiring: boolean
}
