import { invalidInput } from './errors'
import type { KeyRecord } from './types'

/**
 * What a slot stores for an imported token, before the hex: `import:sha256$`. The part before
 * `$` reads as a pepper ID to everything that groups digests by pepper (`kc.pepperUsage()`
 * counts imported tokens under `import:sha256`), yet no configured pepper can carry it (pepper
 * IDs are `[a-z0-9_-]`), so a keycycle token never matches an imported digest.
 */
export const IMPORTED_PEPPER = 'import:sha256'
const MARK = `${IMPORTED_PEPPER}$`

/** Longest token `importKey` takes and verification looks up: longer ones are malformed. */
export const MAX_IMPORTED_TOKEN_LENGTH = 512

const HEX = /^[0-9a-f]{64}$/i
const BASE64 = /^[A-Za-z0-9+/_-]{43}=?$/

/** The slot digest of an imported token whose plain SHA-256 is `hex` (64 lower-case hex). */
export function importedSlotDigest(hex: string): string {
  return MARK + hex
}

/** The hex of an imported slot digest, or null for any other digest. */
export function importedHexOf(stored: string): string | null {
  return stored.startsWith(MARK) ? stored.slice(MARK.length) : null
}

/**
 * The imported digest a record holds, as lower-case hex, or null: the first of the primary
 * slot's current and retiring digests, then the secondary's, that is imported. What a store
 * indexes the key under (see `KeyStore.findKeyByImportedDigest`). Only `importKey` puts one in
 * a record; rotation moves it to retiring, and a later rotation or a regeneration drops it.
 */
export function importedHexOfRecord(record: KeyRecord): string | null {
  for (const slot of [record.primary, record.secondary]) {
    if (slot === null) continue
    const current = importedHexOf(slot.digest)
    if (current !== null) return current
    const retiring = slot.retiring && importedHexOf(slot.retiring.digest)
    if (retiring) return retiring
  }
  return null
}

/**
 * Reads an existing digest given to `importKey`: the SHA-256 of the old token, as 64 hex
 * characters (either case) or as 32 bytes in base64 (standard or URL-safe alphabet, padding
 * optional). Returns lower-case hex; throws `validation` on `field` for anything else.
 */
export function parseImportedDigest(value: unknown, field = 'digest'): string {
  if (typeof value === 'string') {
    if (HEX.test(value)) return value.toLowerCase()
    if (BASE64.test(value)) {
      const hex = base64ToHex(value)
      if (hex !== null) return hex
    }
  }
  throw invalidInput(field, 'must be a SHA-256 digest: 64 hex characters or 32 bytes in base64')
}

const BASE64_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

// 43 digits carry 258 bits: 256 of the digest, then 2 that must be zero (canonical encoding).
function base64ToHex(text: string): string | null {
  const digits = text.replace(/=$/, '').replace(/-/g, '+').replace(/_/g, '/')
  let bits = 0
  let value = 0
  let hex = ''
  for (const char of digits) {
    value = (value << 6) | BASE64_DIGITS.indexOf(char)
    bits += 6
    if (bits >= 8) {
      bits -= 8
      hex += ((value >> bits) & 0xff).toString(16).padStart(2, '0')
      value &= (1 << bits) - 1
    }
  }
  return value === 0 && hex.length === 64 ? hex : null
}

/**
 * True when `token` may be an imported token for an instance minting `prefix`: a non-empty
 * string of at most {@link MAX_IMPORTED_TOKEN_LENGTH} characters that does not start with
 * `<prefix>_` (such a token is keycycle's own, mistyped if it did not parse).
 */
export function mayBeImported(token: unknown, prefix: string): token is string {
  return (
    typeof token === 'string' &&
    token.length > 0 &&
    token.length <= MAX_IMPORTED_TOKEN_LENGTH &&
    !(token.startsWith(prefix) && token.charCodeAt(prefix.length) === 95)
  )
}
