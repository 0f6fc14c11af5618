import { readJsonBody } from './body'
import type { HeaderLookup, HttpRequest, HttpResponse } from './http-types'

// Web-standard only: this file is what keycycle/fetch and keycycle/hono share, and it must run
// wherever `Request` and `Response` do (Bun, Deno, edge runtimes), so nothing Node-only here.

/**
 * Credential headers over Fetch `Headers`. `get` joins a repeated header's values with `, `,
 * which the credential reader refuses as it refuses repeated headers.
 */
export function fetchHeaders(headers: Headers): HeaderLookup {
  return (name) => headers.get(name)
}

// A body stream as the chunks `readJsonBody` takes; stops reading when the reader stops early.
async function* chunks(body: ReadableStream<Uint8Array> | null): AsyncGenerator<Uint8Array> {
  if (body === null) return
  const reader = body.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) return
      yield value
    }
  } finally {
    reader.cancel().catch(() => {})
  }
}

/**
 * The request target of a Fetch request's URL: path and query as the URL keeps them (from the
 * first `/` after the authority, fragment excluded). A URL is parsed when the `Request` is made,
 * which keeps `//` but resolves `.` and `..` segments and percent-encodes what the client sent
 * raw: a signature over such a target does not verify.
 */
export function requestTarget(url: string): string {
  const scheme = url.indexOf('//')
  const start = url.indexOf('/', scheme < 0 ? 0 : scheme + 2)
  if (start < 0) return '/'
  const hash = url.indexOf('#', start)
  return hash < 0 ? url.slice(start) : url.slice(start, hash)
}

/**
 * The request's path relative to `prefix` (`''` for the root), query excluded; null when it is
 * not under `prefix`. The path stays percent-encoded, as Node's `req.url` is.
 */
export function pathUnder(url: URL, prefix: string): string | null {
  const path = url.pathname
  if (prefix === '') return path
  if (path !== prefix && !path.startsWith(`${prefix}/`)) return null
  return path.slice(prefix.length) || '/'
}

/** `prefix` without a trailing slash: `/api/v1/` and `/api/v1` mount at the same place. */
export function normalisePrefix(prefix: string | undefined): string {
  return (prefix ?? '').replace(/\/+$/, '')
}

/** A neutral request over a Fetch `Request`; `path` is relative to the mount point. */
export function fromFetchRequest(
  request: Request,
  url: URL,
  path: string,
  raw: unknown,
  bodyLimit: number,
): HttpRequest {
  return {
    method: request.method,
    path,
    target: requestTarget(request.url),
    query: url.searchParams,
    headers: fetchHeaders(request.headers),
    raw,
    body: () =>
      readJsonBody(
        chunks(request.body),
        request.headers.get('content-type') ?? undefined,
        bodyLimit,
      ),
  }
}

/** A Fetch `Response` for a neutral one: JSON, or no body. */
export function toFetchResponse(response: HttpResponse): Response {
  const headers = new Headers(response.headers)
  if (response.body === undefined) return new Response(null, { status: response.status, headers })
  headers.set('content-type', 'application/json; charset=utf-8')
  return new Response(JSON.stringify(response.body), { status: response.status, headers })
}

/**
 * `response` with `headers` added (a retiring token's `Sunset`). A response whose headers are
 * immutable (one `fetch` returned) is copied first.
 */
export function withHeaders(response: Response, headers: Record<string, string>): Response {
  let target = response
  for (const name in headers) {
    try {
      target.headers.set(name, headers[name]!)
    } catch {
      target = new Response(target.body, target)
      target.headers.set(name, headers[name]!)
    }
  }
  return target
}
