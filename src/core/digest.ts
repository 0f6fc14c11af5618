import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { KeycycleError } from './errors'

/** Hashes a token's secret for storage. Returns 64 lower-case hex characters. */
export type Digester = (keyId: string, secret: string) => string

/**
 * The hash primitives a digester needs, over UTF-8 text, each returning lower-case hex. Every
 * implementation must give identical output; they differ only in speed and where they run.
 */
export interface HashFunctions {
  sha256Hex(message: string): string
  hmacSha256Hex(key: Uint8Array, message: string): string
}

/** Portable pure-JS implementation (@noble/hashes): runs anywhere, including edge runtimes. */
export const NOBLE_HASHES: HashFunctions = {
  sha256Hex: (message) => bytesToHex(sha256(utf8ToBytes(message))),
  hmacSha256Hex: (key, message) => bytesToHex(hmac(sha256, key, utf8ToBytes(message))),
}

/** Minimum pepper length in bytes: a shorter server secret adds little over plain SHA-256. */
export const MIN_PEPPER_BYTES = 16

/**
 * SHA-256, or HMAC-SHA-256 keyed with `pepper` when one is configured. The key ID is bound into
 * the input so a digest copied onto another key's record does not verify there. Changing the
 * pepper invalidates every stored digest. `hashes` picks the implementation (default: the
 * portable one); the digests are the same whichever runs.
 */
export function createDigester(
  pepper?: string | Uint8Array,
  hashes: HashFunctions = NOBLE_HASHES,
): Digester {
  const message = (keyId: string, secret: string) => `keycycle:v1:${keyId}:${secret}`
  if (pepper === undefined) return (keyId, secret) => hashes.sha256Hex(message(keyId, secret))
  const key = typeof pepper === 'string' ? utf8ToBytes(pepper) : pepper
  if (!(key instanceof Uint8Array) || key.length < MIN_PEPPER_BYTES) {
    throw new KeycycleError('validation', `pepper: must be at least ${MIN_PEPPER_BYTES} bytes`, {
      details: { field: 'pepper' },
    })
  }
  return (keyId, secret) => hashes.hmacSha256Hex(key, message(keyId, secret))
}

/** A digest no secret produces in practice; unknown keys are compared against it. */
export const DUMMY_DIGEST = '0'.repeat(64)

/**
 * Compares two digests in time that depends only on their length, never on where they differ.
 * Digests always have the same length, so a length mismatch is a malformed record.
 */
export function digestsEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}
