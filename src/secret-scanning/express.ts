import { KeycycleError } from '../core/errors'
import type { NodeRequestLike } from '../http/node-request'
import { responseText } from '../http/node-request'
import type { Keycycle } from '../service/keycycle'
import { reportHandler, type SecretScanningOptions } from './handler'
import { keptBody, readRawBody } from './raw-body'

/** The parts of an Express (or plain Node) request the handler reads. */
export interface RawBodyRequestLike extends NodeRequestLike {
  /** What a body parser left: bytes (`express.raw()`) are used as they are. */
  body?: unknown
  /** The raw bytes a parser's `verify` hook kept, by the common convention. */
  rawBody?: unknown
  /** True once something read the stream. */
  readableEnded?: boolean
}

/** The parts of an Express (or plain Node) response the handler writes. */
export interface RawBodyResponseLike {
  statusCode: number
  setHeader(name: string, value: string): unknown
  end(body?: string): unknown
}

/**
 * A Node request's raw body for the neutral handler: the bytes a parser kept (`parsed`), else
 * the stream; a `misconfigured` fault when a parser read the stream and kept no bytes.
 */
export function nodeReportBody(
  req: NodeRequestLike & { readableEnded?: boolean },
  parsed: { rawBody?: unknown; body?: unknown },
  limit: number,
): Promise<Uint8Array | null> {
  const kept = keptBody(parsed.rawBody, limit) ?? keptBody(parsed.body, limit)
  if (kept !== undefined) return Promise.resolve(kept)
  if (req.readableEnded) {
    throw new KeycycleError(
      'misconfigured',
      'secretScanning: the body was read before the handler; mount it before any JSON body parser (or keep the raw bytes)',
    )
  }
  return readRawBody(req, limit)
}

/** A header of a Node request, as one string or null. */
export function nodeHeader(req: NodeRequestLike, name: string): string | null {
  const value = req.headers[name]
  return (Array.isArray(value) ? value[0] : value) ?? null
}

/**
 * Express (or `node:http`) handler for GitHub's secret scanning reports: `app.post(path,
 * secretScanning(kc))`. It needs the raw body to check GitHub's signature: mount it before
 * `express.json()`, or where a parser left the bytes (`express.raw({ type: '*\/*' })`, or a
 * `verify` hook that sets `req.rawBody`); a body parsed away is answered 500 `misconfigured`.
 * Answers as `keycycle/secret-scanning`'s `secretScanning` does.
 */
export function secretScanning(
  kc: Keycycle,
  options: SecretScanningOptions = {},
): (req: RawBodyRequestLike, res: RawBodyResponseLike) => Promise<void> {
  const handle = reportHandler(kc, options)
  return async (req, res) => {
    const response = await handle({
      header: (name) => nodeHeader(req, name),
      body: async (limit) => nodeReportBody(req, req, limit),
    })
    res.statusCode = response.status
    for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value)
    const text = responseText(response)
    if (text !== undefined) res.setHeader('content-type', 'application/json; charset=utf-8')
    res.end(text)
  }
}
