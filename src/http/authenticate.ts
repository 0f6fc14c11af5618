import type { VerifySuccess } from '../core/verify-result'
import type { Keycycle } from '../service/keycycle'
import { credentialReader } from './credentials'
import { faultResponse, refusedKey } from './error-responses'
import type { CredentialOptions, HeaderSource, HttpResponse } from './http-types'

/** The outcome of authenticating one request. */
export type Authentication =
  | { ok: true; result: VerifySuccess; headers: Record<string, string> }
  | { ok: false; response: HttpResponse }

/** Authenticates one request from its headers; see {@link authenticator}. */
export type Authenticator = (headers: HeaderSource) => Promise<Authentication>

// Shared by every current token's outcome: nothing to add, nothing allocated.
const NO_HEADERS: Record<string, string> = Object.freeze({})

// RFC 8594's HTTP-date of a grace deadline. Every retiring token of a rotation shares it, so the
// last one formatted is kept rather than formatted on each request.
let lastDeadline = Number.NaN
let lastSunset = ''
function sunset(deadline: number): Record<string, string> {
  if (deadline !== lastDeadline) {
    lastSunset = new Date(deadline).toUTCString()
    lastDeadline = deadline
  }
  return { sunset: lastSunset }
}

/**
 * Prepares a verifier of requests' keys (options are read once, here). Missing, malformed,
 * unknown and wrong tokens all get the same 401; deactivated, blocked and expired keys a 403
 * naming the state; a store that cannot answer a 503 (fail closed). A retiring token is accepted
 * with an RFC 8594 `Sunset` header carrying its grace deadline. Never includes the token in a
 * response.
 */
export function authenticator(kc: Keycycle, options: CredentialOptions = {}): Authenticator {
  const read = credentialReader(options)
  const realm = options.realm ?? 'keycycle'
  return async (headers) => {
    const credential = read(headers)
    if (credential.kind !== 'token') return { ok: false, response: refusedKey('missing', realm) }
    let result: Awaited<ReturnType<Keycycle['verify']>>
    try {
      result = await kc.verify(credential.token)
    } catch (error) {
      return { ok: false, response: faultResponse(error) }
    }
    if (!result.ok) return { ok: false, response: refusedKey(result.code, realm) }
    return {
      ok: true,
      result,
      headers: result.graceEndsAt === null ? NO_HEADERS : sunset(result.graceEndsAt),
    }
  }
}

/** Authenticates one request; `authenticator(kc, options)` is the same, prepared once. */
export function authenticate(
  kc: Keycycle,
  headers: HeaderSource,
  options: CredentialOptions = {},
): Promise<Authentication> {
  return authenticator(kc, options)(headers)
}
