import type { VerifyFailureCode, VerifySuccess } from '../core/verify'
import type { Keycycle } from '../service/keycycle'
import { credentialReader } from './credentials'
import { faultResponse, refusedKey } from './status'
import type { CredentialOptions, HeaderSource, HttpResponse } from './types'

/** The outcome of authenticating one request. */
export type Authentication =
  | { ok: true; result: VerifySuccess; headers: Record<string, string> }
  | { ok: false; response: HttpResponse }

/** Authenticates one request from its headers; see {@link authenticator}. */
export type Authenticator = (headers: HeaderSource) => Promise<Authentication>

/**
 * The decisions an {@link Authenticator} makes around `kc.verify`, prepared once by
 * {@link tokenGate}. The Express and Koa middlewares await `kc.verify` in their own body with
 * these rather than await an authenticator, which would cost each request a second async
 * frame, its promise and an outcome object.
 */
export interface TokenGate {
  /** The token the headers carry, or the 401 answering a request that has no usable one. */
  token(headers: HeaderSource): string | HttpResponse
  /** The response refusing a failed verification: the same 401, or a 403 naming the state. */
  refuse(code: VerifyFailureCode): HttpResponse
}

/** Prepares a {@link TokenGate}: reads credentials as `credentialReader(options)` does. */
export function tokenGate(options: CredentialOptions = {}): TokenGate {
  const read = credentialReader(options)
  const realm = options.realm ?? 'keycycle'
  return {
    token: (headers) => {
      const credential = read(headers)
      return credential.kind === 'token' ? credential.token : refusedKey('missing', realm)
    },
    refuse: (code) => refusedKey(code, realm),
  }
}

// Shared by every current token's outcome: nothing to add, nothing allocated.
const NO_HEADERS: Record<string, string> = Object.freeze({})

// Every retiring token of a rotation shares its grace deadline, so the last one formatted is
// kept rather than formatted on each request.
let lastDeadline = Number.NaN
let lastSunset = ''

/** RFC 8594's `Sunset` value (an HTTP-date) for a retiring token's grace deadline. */
export function sunset(deadline: number): string {
  if (deadline !== lastDeadline) {
    lastSunset = new Date(deadline).toUTCString()
    lastDeadline = deadline
  }
  return lastSunset
}

/**
 * Prepares a verifier of requests' keys (options are read once, here). Missing, malformed,
 * unknown and wrong tokens all get the same 401; deactivated, blocked and expired keys a 403
 * naming the state; a store that cannot answer a 503 (fail closed). A retiring token is accepted
 * with an RFC 8594 `Sunset` header carrying its grace deadline. Never includes the token in a
 * response.
 */
export function authenticator(kc: Keycycle, options: CredentialOptions = {}): Authenticator {
  const gate = tokenGate(options)
  return async (headers) => {
    const token = gate.token(headers)
    if (typeof token !== 'string') return { ok: false, response: token }
    let result: Awaited<ReturnType<Keycycle['verify']>>
    try {
      result = await kc.verify(token)
    } catch (error) {
      return { ok: false, response: faultResponse(error) }
    }
    if (!result.ok) return { ok: false, response: gate.refuse(result.code) }
    return {
      ok: true,
      result,
      headers: result.graceEndsAt === null ? NO_HEADERS : { sunset: sunset(result.graceEndsAt) },
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
