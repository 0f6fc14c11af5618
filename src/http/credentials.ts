import { SIGNED_REQUEST_HEADERS } from '../core/signed-request'
import { MAX_TOKEN_LENGTH } from '../core/token'
import type { CredentialOptions, HeaderSource } from './http-types'

/**
 * What the headers carry: nothing, something unusable, one token to verify, or a signature
 * (any of the three NCP signature v2 headers, and no token): the request is verified by
 * `kc.verifyRequest` over its method and raw target.
 */
export type Credential =
  | { kind: 'missing' }
  | { kind: 'malformed' }
  | { kind: 'token'; token: string }
  | { kind: 'signature' }

const MISSING: Credential = { kind: 'missing' }
const MALFORMED: Credential = { kind: 'malformed' }
const SIGNATURE: Credential = { kind: 'signature' }
const SIGNATURE_NAMES = Object.values(SIGNED_REQUEST_HEADERS)
const TOKEN_CHARS = /^[A-Za-z0-9_]+$/

/** The `Authorization` schemes accepted when `schemes` is not given. */
export const DEFAULT_SCHEMES: readonly string[] = ['Token', 'Bearer']

/** The API-key headers read when `apiKeyHeaders` is not given. */
export const DEFAULT_API_KEY_HEADERS: readonly string[] = ['x-api-key', 'x-ncp-apigw-api-key']

function lookup(
  headers: HeaderSource,
  name: string,
): string | readonly string[] | null | undefined {
  return typeof headers === 'function' ? headers(name) : headers[name]
}

/**
 * The signature headers over `headers` as `kc.verifyRequest` reads them: a header sent more
 * than once (or comma-joined) reads as `''`, which never verifies.
 */
export function signatureHeaders(headers: HeaderSource): { get(name: string): string | null } {
  return {
    get: (name) => {
      const value = single(lookup(headers, name))
      return value === null ? '' : (value ?? null)
    },
  }
}

// The one value of a header; null when it was sent more than once. Repeated headers (an array,
// or joined with commas by a proxy or by Fetch's `Headers`) are ambiguous: refuse them.
function single(value: string | readonly string[] | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') {
    if (value.length === 0) return undefined
    return value.length === 1 ? single(value[0]) : null
  }
  return value.includes(',') ? null : value
}

/** A reader of the one credential a request carries; see {@link credentialReader}. */
export type CredentialReader = (headers: HeaderSource) => Credential

/**
 * Prepares a reader that extracts the one token from `Authorization: Token|Bearer <t>` or an
 * API-key header, deciding everything from the headers alone (no store call). Exactly one
 * credential is usable: a repeated header, comma-joined values, `Authorization` together with
 * an API-key header (even carrying the same token), two API-key headers, stray whitespace,
 * unknown schemes and oversize values are all `malformed`. Any of the three NCP signature
 * headers (`x-ncp-apigw-timestamp`, `x-ncp-iam-access-key`, `x-ncp-apigw-signature-v2`) makes
 * the request a signed one (`signature`), and a token beside them is a second credential
 * (`malformed`). The options are read once, here.
 */
export function credentialReader(options: CredentialOptions = {}): CredentialReader {
  const schemes = new Set((options.schemes ?? DEFAULT_SCHEMES).map((s) => s.toLowerCase()))
  const apiKeyHeaders = [
    ...new Set((options.apiKeyHeaders ?? DEFAULT_API_KEY_HEADERS).map((h) => h.toLowerCase())),
  ]
  return (headers) => {
    let found: string | undefined
    const authorization = single(lookup(headers, 'authorization'))
    if (authorization === null) return MALFORMED
    if (authorization !== undefined) {
      // `<scheme> <token>`, one space: a second space or a tab fails the token check below.
      const space = authorization.indexOf(' ')
      if (space <= 0 || !schemes.has(authorization.slice(0, space).toLowerCase())) return MALFORMED
      found = authorization.slice(space + 1)
    }
    for (const name of apiKeyHeaders) {
      const value = single(lookup(headers, name))
      if (value === null) return MALFORMED
      if (value === undefined) continue
      if (found !== undefined) return MALFORMED
      found = value
    }
    const signed = SIGNATURE_NAMES.some((name) => lookup(headers, name) != null)
    if (signed) return found === undefined ? SIGNATURE : MALFORMED
    if (found === undefined) return MISSING
    if (found.length > MAX_TOKEN_LENGTH || !TOKEN_CHARS.test(found)) return MALFORMED
    return { kind: 'token', token: found }
  }
}

/** Reads the one credential of a request with `credentialReader(options)`; prefer the reader. */
export function readCredential(headers: HeaderSource, options: CredentialOptions = {}): Credential {
  return credentialReader(options)(headers)
}
