import { SIGNED_REQUEST_HEADERS } from '../core/signed-request'
import { tokenKeyId } from '../core/token'
import { readVerifyOptions, type VerifyOptions } from '../core/usage-control'
import type { VerifyResult, VerifySuccess } from '../core/verify-result'
import type { Keycycle } from '../service/keycycle'
import { clientAddressReader } from './client-address'
import { credentialReader, signatureHeaders } from './credentials'
import { faultResponse, refusedKey } from './error-responses'
import type { AuthOptions, HeaderSource, HttpResponse } from './http-types'
import { usageFields } from './usage-fields'

/** The outcome of authenticating one request. */
export type Authentication =
  | { ok: true; result: VerifySuccess; headers: Record<string, string> }
  | { ok: false; response: HttpResponse }

/** What an authenticator reads of one request. */
export interface AuthRequest {
  /** The HTTP method, as received. */
  method: string
  /**
   * The request target as received: path and query string, not normalised (`//` stays), no
   * host. A signed request's signature covers it.
   */
  target: string
  headers: HeaderSource
  /** The address of the connection's peer, as the host reads it; undefined when unknown. */
  peer?: string | null | undefined
}

/** Authenticates one request; see {@link authenticator}. */
export type Authenticator = (request: AuthRequest) => Promise<Authentication>

// RFC 8594's HTTP-date of a grace deadline. Every retiring token of a rotation shares it, so the
// last one formatted is kept rather than formatted on each request.
let lastDeadline = Number.NaN
let lastSunset = ''
function sunset(deadline: number): string {
  if (deadline !== lastDeadline) {
    lastSunset = new Date(deadline).toUTCString()
    lastDeadline = deadline
  }
  return lastSunset
}

/**
 * Prepares a verifier of requests' keys (options are read once, here: `validation` for a
 * `cost`, `permissions` or `trustProxy` `kc.verify` or {@link clientAddressReader} refuses).
 * Each request is verified with the route's `cost` (default 1) and `permissions`, and the
 * client's address (the peer's, or under `trustProxy` the one `X-Forwarded-For` reports).
 * A request signed with a signing key (the three NCP signature v2 headers, no token) is
 * verified over its method and raw target (`kc.verifyRequest`), with the same outcomes; a
 * stale, replayed or wrongly signed request, or one carrying a token too, gets the same 401.
 * Missing, malformed, unknown and wrong tokens all get the same 401; deactivated, blocked and
 * expired keys a 403 naming the state, as are `ip_forbidden` and `insufficient_permissions`;
 * `rate_limited` and `credits_exhausted` a 429 with `Retry-After` when the wait is known; a
 * store that cannot answer a 503 (fail closed). A key with rate limits gets `RateLimit` and
 * `RateLimit-Policy` on its successes and 429s; a retiring token is accepted with an RFC 8594
 * `Sunset` header carrying its grace deadline. Never includes the token in a response.
 */
export function authenticator(kc: Keycycle, options: AuthOptions = {}): Authenticator {
  const read = credentialReader(options)
  const realm = options.realm ?? 'keycycle'
  const addressOf = clientAddressReader(options.trustProxy)
  const usage = usageFields(kc)
  const asked: VerifyOptions = {}
  if (options.cost !== undefined) asked.cost = options.cost
  if (options.permissions !== undefined) asked.permissions = options.permissions
  readVerifyOptions(asked)
  const plain = options.cost === undefined && options.permissions === undefined ? undefined : asked
  return async ({ method, target, headers, peer }) => {
    const credential = read(headers)
    if (credential.kind === 'missing' || credential.kind === 'malformed') {
      return { ok: false, response: refusedKey('missing', realm) }
    }
    const ip = addressOf(peer, headers)
    const ask = ip === undefined ? plain : { ...asked, ip }
    let result: VerifyResult
    let keyId: string | null
    try {
      if (credential.kind === 'token') {
        keyId = tokenKeyId(credential.token)
        result = await kc.verify(credential.token, ask)
      } else {
        const signed = signatureHeaders(headers)
        keyId = signed.get(SIGNED_REQUEST_HEADERS.accessKey)
        result = await kc.verifyRequest({ method, target, headers: signed }, ask)
      }
    } catch (error) {
      return { ok: false, response: faultResponse(error) }
    }
    if (!result.ok) {
      const extra = await usage.refused(keyId, result)
      return { ok: false, response: refusedKey(result.code, realm, extra) }
    }
    const limits = usage.succeeded(result)
    if (result.graceEndsAt === null) return { ok: true, result, headers: limits }
    return { ok: true, result, headers: { ...limits, sunset: sunset(result.graceEndsAt) } }
  }
}
