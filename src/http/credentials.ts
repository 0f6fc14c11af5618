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
  if (Array.isArray(value)) return value.length === 1 ? single(value[0]) : null
  return value.includes(',') ? null : value
}

function checkToken(value: string): Credential {
  if (value.length > MAX_TOKEN_LENGTH || !TOKEN_CHARS.test(value)) return { kind: 'malformed' }
  return { kind: 'token', token: value }
}

/**
 * Extracts the token from `Authorization: Token|Bearer <t>` or the API-key header, deciding
 * everything from the headers alone: duplicates, comma-joined values, stray whitespace, unknown
 * schemes and oversize values are `malformed` without any store call. Both headers at once
 * must carry the same token.
 */
export function readCredential(headers: Headers, options: CredentialOptions = {}): Credential {
  const schemes = (options.schemes ?? ['Token', 'Bearer']).map((s) => s.toLowerCase())
  const apiKeyHeader = options.apiKeyHeader === undefined ? 'x-api-key' : options.apiKeyHeader
  const found: string[] = []

  const authorization = single(headers.authorization)
  if (authorization === null) return { kind: 'malformed' }
  if (authorization !== undefined) {
    const match = /^([A-Za-z]+) ([^ ]+)$/.exec(authorization)
    if (!match || !schemes.includes(match[1]!.toLowerCase())) return { kind: 'malformed' }
    found.push(match[2]!)
  }
  if (apiKeyHeader !== null) {
    const value = single(headers[apiKeyHeader.toLowerCase()])
    if (value === null) return { kind: 'malformed' }
    if (value !== undefined) found.push(value)
  }
  if (found.length === 0) return { kind: 'missing' }
  if (found.some((t) => t !== found[0])) return { kind: 'malformed' }
  return checkToken(found[0]!)
}
