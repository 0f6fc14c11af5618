import { readJsonBody } from './body'
import type { Headers, HttpRequest, HttpResponse } from './types'

/** The parts of a Node request both frameworks expose: enough to route and read a body. */
export interface NodeRequestLike extends AsyncIterable<Uint8Array | string> {
  method?: string | undefined
  url?: string | undefined
  headers: Headers
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
    headers: req.headers,
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
