import type { HashFunctions } from '../../core/digest'
import type { KeyStore } from '../../store'
import { importedDigestFor } from './presented-secret'
import type { KeyRead } from './read-key'

/** What the imported lookup found: the key's ID ('' for none), the comparison, and the read. */
export interface ImportedRead {
  keyId: string
  digestFor: (stored: string) => string | null
  read: KeyRead
}

/**
 * The read step for a token that is not keycycle-shaped: its plain SHA-256, then one store
 * call (`findKeyByImportedDigest`), which costs the same whether the digest is found or not.
 * Never through the cache: the cache is by key ID, which such a token does not carry.
 */
export type ReadImported = (token: string) => Promise<ImportedRead>

/** The imported lookup over `store`, or null when the store has none. */
export function importedReader(
  store: KeyStore,
  hashes: Pick<HashFunctions, 'sha256Hex'>,
): ReadImported | null {
  const find = store.findKeyByImportedDigest
  if (find === undefined) return null
  return async (token) => {
    const hex = hashes.sha256Hex(token)
    const found = await find.call(store, hex)
    const keyId = found?.key.id ?? ''
    return { keyId, digestFor: importedDigestFor(hex), read: { found, checkedAt: null } }
  }
}
