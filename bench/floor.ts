// The floor every CPU-bound figure is measured against: the least work any verification of a
// keycycle token can do, written by hand with nothing of keycycle's own: check the shape and
// the CRC-32 checksum, one node:crypto SHA-256 of the secret (the one-shot `hash`, node:crypto's
// cheapest, as keycycle uses), one Map lookup, one constant-time comparison. No promise, no
// result object, no rotation slots, no state.
import { hash } from 'node:crypto'

const CRC_TABLE = new Int32Array(256)
for (let n = 0; n < 256; n++) {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  CRC_TABLE[n] = c
}
const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'
const ULID = 26
const SECRET = 43
const CHECKSUM = 6

function checksumMatches(token: string, cut: number): boolean {
  let crc = -1
  for (let i = 0; i < cut; i++) crc = CRC_TABLE[(crc ^ token.charCodeAt(i)) & 0xff]! ^ (crc >>> 8)
  let value = (crc ^ -1) >>> 0
  for (let i = token.length - 1; i >= cut; i--) {
    if (token.charCodeAt(i) !== DIGITS.charCodeAt(value % 62)) return false
    value = Math.floor(value / 62)
  }
  return value === 0
}

function sha256Hex(keyId: string, secret: string): string {
  return hash('sha256', `keycycle:v1:${keyId}:${secret}`, 'hex')
}

function equalInConstantTime(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

/** A hand-written verifier for `tokens` (`<prefix>_<ULID>_<secret><checksum>`): true or false. */
export function createFloor(prefix: string, tokens: readonly string[]): (token: string) => boolean {
  const head = prefix.length + 1
  const length = head + ULID + 1 + SECRET + CHECKSUM
  const parts = (token: string) => ({
    keyId: `key_${token.slice(head, head + ULID)}`,
    secret: token.slice(head + ULID + 1, length - CHECKSUM),
  })
  const digests = new Map<string, string>()
  for (const token of tokens) {
    const { keyId, secret } = parts(token)
    digests.set(keyId, sha256Hex(keyId, secret))
  }
  const verify = (token: string): boolean => {
    if (token.length !== length || !token.startsWith(`${prefix}_`)) return false
    if (!checksumMatches(token, length - CHECKSUM)) return false
    const { keyId, secret } = parts(token)
    const digest = sha256Hex(keyId, secret)
    const stored = digests.get(keyId)
    return stored !== undefined && equalInConstantTime(stored, digest)
  }
  for (const token of tokens)
    if (!verify(token)) throw new Error('floor: a fixture does not verify')
  return verify
}
