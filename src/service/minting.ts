import type { Digests } from '../core/digest'
import { ID_RANDOM_BYTES, newId } from '../core/ids'
import { mintToken, SECRET_BYTES, tokenHint } from '../core/token'
import type { Bytes, Mint, NewId } from './deps'

/** Fresh prefixed ULIDs from `bytes`. */
export function idSource(bytes: Bytes): NewId {
  return (kind, now) => newId(kind, now, bytes(ID_RANDOM_BYTES))
}

/** Mints tokens with `prefix`, digested by `digests` under the current pepper. */
export function minter(bytes: Bytes, prefix: string, digests: Digests): Mint {
  return (keyId) => {
    const { token, secret } = mintToken(prefix, keyId, bytes(SECRET_BYTES))
    return { token, minted: { digest: digests.mint(keyId, secret), hint: tokenHint(token) } }
  }
}
