import { readJsonBody } from './body'
import type { Headers, HttpRequest, HttpResponse } from './types'

/** The parts of a Node request both frameworks expose: enough to route and read a body. */
export interface NodeRequestLike extends AsyncIterable<Uint8Array | string> {
  method?: string | undefined
  url?: string | undefined
  headers: Headers
  /** Every value of each header (Node ≥ 18.3); `headers` keeps only the first `Authorization`. */
  headersDistinct?: Record<string, string[] | undefined>
}

/**
 * The headers to read credentials from: every value each header was sent with, so a repeated
 * `Authorization` is seen (and refused) rather than silently reduced to its first value.
 */
export function credentialHeaders(req: NodeRequestLike): Headers {
  return req.headersDistinct ?? req.headers
}

/**
 * A neutral request over a Node request. `path` is relative to the mount point; `parsed` is a
 * body a host middleware already parsed (it wins over reading the stream).
 */
export function toHttpRequest(
  req: NodeRequestLike,
  url: string,
  raw: unknown,
  bodyLimit: number,
  parsed: () => unknown,
): HttpRequest {
  const [path = '/', search = ''] = url.split('?', 2)
  return {
    method: req.method ?? 'GET',
    path,
    query: new URLSearchParams(search),
    headers: credentialHeaders(req),
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
