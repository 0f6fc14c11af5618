/**
 * `keycycle/sign`: signs a request the way NCP's API Gateway signature v2 does, for clients of a
 * keycycle host. Web Crypto only (browsers, edge runtimes, Node ≥ 20); imports nothing else.
 *
 * @example
 * ```ts
 * import { signRequest } from 'keycycle/sign'
 * const headers = await signRequest({
 *   method: 'PATCH',
 *   target: `/api/v1//api-keys/${keyId}`,
 *   accessKey: keyId,
 *   secretKey: token,
 * })
 * await fetch(`https://api.example.com/api/v1//api-keys/${keyId}`, { method: 'PATCH', headers })
 * ```
 * @module
 */
import { SIGNED_REQUEST_HEADERS, signingMessage } from './core/signed-request'

export { SIGNATURE_WINDOW_MS, SIGNED_REQUEST_HEADERS } from './core/signed-request'

/** What {@link signRequest} signs. */
export interface SignRequestInput {
  /** The HTTP method (upper-cased before signing). */
  method: string
  /** The path and query string exactly as the request sends them, no host: `/a//b?x=1`. */
  target: string
  /** The key's ID (`key_…`). */
  accessKey: string
  /** The key's token, as minted (a signing key's: see `createKey({ signing: true })`). */
  secretKey: string
  /** Epoch ms to sign at; default `Date.now()`. The server accepts ±5 minutes of its clock. */
  timestamp?: number
}

/** The three headers of a signed request, by their lower-case names. */
export interface SignedRequestHeaders {
  'x-ncp-apigw-timestamp': string
  'x-ncp-iam-access-key': string
  'x-ncp-apigw-signature-v2': string
}

/**
 * The headers that sign a request: `Base64(HMAC-SHA256(secretKey, METHOD + " " + target + "\n" +
 * timestamp + "\n" + accessKey))`, UTF-8, standard Base64. The body is not signed. Each
 * signature is accepted once: sign every request afresh. Rejects with a TypeError when an input
 * is not a string (or `timestamp` not a non-negative integer).
 */
export async function signRequest(input: SignRequestInput): Promise<SignedRequestHeaders> {
  const { method, target, accessKey, secretKey } = input
  for (const [name, value] of Object.entries({ method, target, accessKey, secretKey })) {
    if (typeof value !== 'string' || value === '') throw new TypeError(`${name}: a string`)
  }
  const at = input.timestamp ?? Date.now()
  if (!Number.isSafeInteger(at) || at < 0) throw new TypeError('timestamp: epoch ms')
  const timestamp = String(at)
  const encoder = new TextEncoder()
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secretKey),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const message = signingMessage(method, target, timestamp, accessKey)
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(message)))
  let binary = ''
  for (const byte of mac) binary += String.fromCharCode(byte)
  return {
    [SIGNED_REQUEST_HEADERS.timestamp]: timestamp,
    [SIGNED_REQUEST_HEADERS.accessKey]: accessKey,
    [SIGNED_REQUEST_HEADERS.signature]: btoa(binary),
  } as SignedRequestHeaders
}
