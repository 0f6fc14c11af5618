import { MAX_TOKEN_LENGTH } from '../core/token'
import type { CredentialOptions, Headers } from './types'

/** What the headers carry: nothing, something unusable, or one token to verify. */
export type Credential =
  | { kind: 'missing' }
  | { kind: 'malformed' }
  | { kind: 'token'; token: string }

const TOKEN_CHARS = /^[A-Za-z0-9_]+$/

function single(value: string | string[] | undefined): string | null | undefined {
  if (value === undefined) return undefined
  // Repeated headers (an array, or joined with commas by a proxy) are ambiguous: refuse them.
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined
    return value.length === 1 ? single(value[0]) : null
  }
  return value.includes(',') ? null : value
}

function checkToken(value: string): Credential {
  if (value.length > MAX_TOKEN_LENGTH || !TOKEN_CHARS.test(value)) return { kind: 'malformed' }
  return { kind: 'token', token: value }
}

/** The API-key headers read when `apiKeyHeaders` is not given. */
export const DEFAULT_API_KEY_HEADERS: readonly string[] = ['x-api-key', 'x-ncp-apigw-api-key']

/**
 * Extracts the one token from `Authorization: Token|Bearer <t>` or an API-key header, deciding
 * everything from the headers alone (no store call). Exactly one credential is usable: a
 * repeated header, comma-joined values, `Authorization` together with an API-key header (even
 * carrying the same token), two API-key headers, stray whitespace, unknown schemes and
 * oversize values are all `malformed`.
 */
export function readCredential(headers: Headers, options: CredentialOptions = {}): Credential {
  const schemes = (options.schemes ?? ['Token', 'Bearer']).map((s) => s.toLowerCase())
  const apiKeyHeaders = (options.apiKeyHeaders ?? DEFAULT_API_KEY_HEADERS).map((h) =>
    h.toLowerCase(),
  )
  const found: string[] = []

  const authorization = single(headers.authorization)
  if (authorization === null) return { kind: 'malformed' }
  if (authorization !== undefined) {
    const match = /^([A-Za-z]+) ([^ ]+)$/.exec(authorization)
    if (!match || !schemes.includes(match[1]!.toLowerCase())) return { kind: 'malformed' }
    found.push(match[2]!)
  }
  for (const name of new Set(apiKeyHeaders)) {
    const value = single(headers[name])
    if (value === null) return { kind: 'malformed' }
    if (value !== undefined) found.push(value)
  }
  if (found.length === 0) return { kind: 'missing' }
  if (found.length > 1) return { kind: 'malformed' }
  return checkToken(found[0]!)
}
