import { readJsonBody } from './body'
import type { HeaderRecord, HeaderSource, HttpRequest, HttpResponse } from './http-types'

/** The parts of a Node request both frameworks expose: enough to route and read a body. */
export interface NodeRequestLike extends AsyncIterable<Uint8Array | string> {
  method?: string | undefined
  url?: string | undefined
  /** The target as received, before any mounting rewrote `url` (Express, Koa's `ctx.req`). */
  originalUrl?: string | undefined
  headers: HeaderRecord
  /** Every value of each header (Node ≥ 18.3); `headers` keeps only the first `Authorization`. */
  headersDistinct?: Record<string, string[] | undefined>
  /** Header names and values as received, alternately: every line, repeated ones included. */
  rawHeaders?: string[]
  /** The connection; its `remoteAddress` is the peer's address. */
  socket?: { remoteAddress?: string | undefined } | undefined
}

// The values a header was sent with, by lower-case name, from Node's alternating raw list.
function rawValues(raw: readonly string[], name: string): string | string[] | undefined {
  let found: string | string[] | undefined
  for (let i = 0; i < raw.length; i += 2) {
    const header = raw[i]!
    if (header.length !== name.length || header.toLowerCase() !== name) continue
    const value = raw[i + 1]!
    if (found === undefined) found = value
    else if (typeof found === 'string') found = [found, value]
    else found.push(value)
  }
  return found
}

/**
 * The headers to read credentials from: every value each header was sent with, so a repeated
 * `Authorization` is seen (and refused) rather than silently reduced to its first value. Reads
 * Node's `rawHeaders` directly, which costs a few comparisons where `headersDistinct` would
 * build an object of every header on each request.
 */
export function credentialHeaders(req: NodeRequestLike): HeaderSource {
  const raw = req.rawHeaders
  if (raw === undefined) return req.headersDistinct ?? req.headers
  return (name) => rawValues(raw, name)
}

/**
 * A neutral request over a Node request. `url` is relative to the mount point; `target` the
 * request target as received; `parsed` is a body a host middleware already parsed (it wins
 * over reading the stream).
 */
export function toHttpRequest(
  req: NodeRequestLike,
  url: string,
  target: string,
  raw: unknown,
  bodyLimit: number,
  parsed: () => unknown,
): HttpRequest {
  const [path = '/', search = ''] = url.split('?', 2)
  return {
    method: req.method ?? 'GET',
    path,
    target,
    query: new URLSearchParams(search),
    headers: req.headersDistinct ?? req.headers,
    raw,
    body: () => {
      const already = parsed()
      if (already !== undefined) return Promise.resolve(already)
      const type = req.headers['content-type']
      return readJsonBody(req, Array.isArray(type) ? type[0] : type, bodyLimit)
    },
  }
}

/** Serialises a neutral response body: JSON, or nothing. */
export function responseText(response: HttpResponse): string | undefined {
  return response.body === undefined ? undefined : JSON.stringify(response.body)
}
