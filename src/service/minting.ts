import { ID_RANDOM_BYTES, type IdKind, newId } from '../core/ids'
import type { MintedDigest } from '../core/keys'
import { mintToken, SECRET_BYTES, tokenHint } from '../core/token'
import type { Runtime } from './runtime'

/** A fresh prefixed ULID (`key_…`, `org_…`, `evt_…`) at `now`, from the runtime's random source. */
export function generateId(rt: Runtime, kind: IdKind, now: number): string {
  return newId(kind, now, rt.bytes(ID_RANDOM_BYTES))
}

/**
 * Mints a token for `keyId`: the token for the caller (returned once, never stored), the digest
 * and hint for the store.
 */
export function mint(rt: Runtime, keyId: string): { token: string; minted: MintedDigest } {
  const { token, secret } = mintToken(rt.prefix, keyId, rt.bytes(SECRET_BYTES))
  return { token, minted: { digest: rt.digests.mint(keyId, secret), hint: tokenHint(token) } }
}
