import { fromBase64 } from '../webhooks/hmac'
import type { VerifyingKey } from './public-keys'

// GitHub signs with ECDSA P-256 over SHA-256 and sends the signature as base64 of its DER
// encoding, SEQUENCE { INTEGER r, INTEGER s }. Web Crypto verifies IEEE P1363 (r ‖ s, 32 bytes
// each), so the DER form is unpacked here; anything not exactly that shape verifies nothing.

const SIZE = 32

// One DER INTEGER at `at`: its bytes as 32 big-endian bytes, and where the next element starts.
function integer(der: Uint8Array, at: number): { value: Uint8Array; next: number } | null {
  if (der[at] !== 0x02) return null
  const length = der[at + 1]
  if (length === undefined || length === 0 || length > SIZE + 1) return null
  let bytes = der.subarray(at + 2, at + 2 + length)
  if (bytes.length !== length) return null
  // A leading zero only keeps a high bit from reading as a sign; drop it.
  while (bytes.length > 1 && bytes[0] === 0) bytes = bytes.subarray(1)
  if (bytes.length > SIZE) return null
  const value = new Uint8Array(SIZE)
  value.set(bytes, SIZE - bytes.length)
  return { value, next: at + 2 + length }
}

/** An ECDSA P-256 signature in DER, as IEEE P1363 (64 bytes); null for anything else. */
export function derToP1363(der: Uint8Array): Uint8Array | null {
  if (der[0] !== 0x30 || der[1] !== der.length - 2) return null
  const r = integer(der, 2)
  const s = r && integer(der, r.next)
  if (!r || !s || s.next !== der.length) return null
  const out = new Uint8Array(SIZE * 2)
  out.set(r.value, 0)
  out.set(s.value, SIZE)
  return out
}

/**
 * Whether `signature` (base64 of a DER ECDSA signature, as `Github-Public-Key-Signature`
 * carries it) is `key`'s over exactly `body` with SHA-256. False for a malformed signature.
 */
export async function verifyGitHubSignature(
  key: VerifyingKey,
  signature: string,
  body: Uint8Array,
): Promise<boolean> {
  const der = fromBase64(signature.trim())
  const raw = der && derToP1363(der)
  if (!raw) return false
  const algorithm = { name: 'ECDSA', hash: 'SHA-256' }
  try {
    return await globalThis.crypto.subtle.verify(algorithm, key, raw, body)
  } catch {
    return false
  }
}
