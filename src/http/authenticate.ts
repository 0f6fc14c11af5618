import type { VerifySuccess } from '../core/verify'
import type { Keycycle } from '../service/keycycle'
import { readCredential } from './credentials'
import { faultResponse, refusedKey } from './status'
import type { CredentialOptions, Headers, HttpResponse } from './types'

/** The outcome of authenticating one request. */
export type Authentication =
  | { ok: true; result: VerifySuccess; headers: Record<string, string> }
  | { ok: false; response: HttpResponse }

/**
 * Verifies the request's key. Missing, malformed, unknown and wrong tokens all get the same
 * 401; deactivated, blocked and expired keys a 403 naming the state; a store that cannot answer
 * a 503 (fail closed). A retiring token is accepted with an RFC 8594 `Sunset` header carrying
 * its grace deadline. Never includes the token in a response.
 */
export async function authenticate(
  kc: Keycycle,
  headers: Headers,
  options: CredentialOptions = {},
): Promise<Authentication> {
  const realm = options.realm ?? 'keycycle'
  const credential = readCredential(headers, options)
  if (credential.kind !== 'token') return { ok: false, response: refusedKey('missing', realm) }
  let result: Awaited<ReturnType<Keycycle['verify']>>
  try {
    result = await kc.verify(credential.token)
  } catch (error) {
    return { ok: false, response: faultResponse(error) }
  }
  if (!result.ok) return { ok: false, response: refusedKey(result.code, realm) }
  const sunset =
    result.graceEndsAt === null ? {} : { sunset: new Date(result.graceEndsAt).toUTCString() }
  return { ok: true, result, headers: sunset }
}
