import { KeycycleError } from '../core/errors'

/** Default largest accepted request body: 64 KiB (the largest valid key input, every field at its limit and escaped, is about 28 KB). */
export const DEFAULT_BODY_LIMIT = 64 * 1024

const bodyError = (message: string) =>
  new KeycycleError('validation', `body: ${message}`, { details: { field: 'body' } })

/**
 * Drops commas that directly precede `}` or `]` outside strings. The ricloud documentation's
 * own example (`{ "storage_config": 2, }`) has one, and its curl calls must work as written;
 * nothing else beyond strict JSON is accepted.
 */
export function stripTrailingCommas(text: string): string {
  let out = ''
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (inString) {
      out += c
      if (c === '\\') out += text[++i] ?? ''
      else if (c === '"') inString = false
    } else if (c === '"') {
      inString = true
      out += c
    } else if (c === ',' && /^\s*[}\]]/.test(text.slice(i + 1))) {
      // a trailing comma: skip it
    } else {
      out += c
    }
  }
  return out
}

/** Parses JSON text, tolerating trailing commas; throws `validation` otherwise. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    try {
      return JSON.parse(stripTrailingCommas(text))
    } catch {
      throw bodyError('not valid JSON')
    }
  }
}

/**
 * Reads a request body of at most `limit` bytes and parses it as JSON. An empty body is
 * `undefined`. A content type other than JSON, an oversize body or bad JSON is `validation`.
 */
export async function readJsonBody(
  source: AsyncIterable<Uint8Array | string>,
  contentType: string | undefined,
  limit: number,
): Promise<unknown> {
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk
    size += bytes.length
    if (size > limit) throw bodyError(`larger than ${limit} bytes`)
    chunks.push(bytes)
  }
  if (size === 0) return undefined
  if (contentType !== undefined && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
    throw bodyError('Content-Type must be application/json')
  }
  const all = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    all.set(chunk, offset)
    offset += chunk.length
  }
  return parseJson(new TextDecoder('utf-8', { fatal: false }).decode(all))
}
