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
  query: URLSearchParams
  /** Every value of every header, repeated ones included. */
  headers: HeaderSource
  /** Reads and parses the JSON body; called only by routes that take one. */
  body(): Promise<unknown>
  /** The host's own request object, passed to `isAdmin`. */
  raw: unknown
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

/** Options of `keysRouter`. */
export interface RouterOptions extends CredentialOptions {
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
