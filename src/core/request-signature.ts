import { hexTailsMatch } from './digest'
import { SIGNATURE_WINDOW_MS, SIGNED_REQUEST_HEADERS } from './signed-request'

/**
 * HMAC-SHA-256 of UTF-8 `message` under `key`, as 64 lower-case hex characters. The service
 * passes node:crypto's where the runtime has it (`platformHashes`), else @noble/hashes'.
 */
export type HmacHex = (key: Uint8Array, message: string) => string

/** A signed request's three header values, as presented (not yet checked). */
export interface PresentedSignature {
  timestamp: string
  accessKey: string
  signature: string
}

/**
 * The signature headers of a request, read with `header` (a header's value by lower-case
 * name, or undefined). Null when none of the three is present (not a signed request); a
 * request carrying some but not all of them is returned with `''` for the missing ones, which
 * never verify.
 */
export function readSignatureHeaders(
  header: (name: string) => string | undefined,
): PresentedSignature | null {
  const timestamp = header(SIGNED_REQUEST_HEADERS.timestamp)
  const accessKey = header(SIGNED_REQUEST_HEADERS.accessKey)
  const signature = header(SIGNED_REQUEST_HEADERS.signature)
  if (timestamp === undefined && accessKey === undefined && signature === undefined) return null
  return { timestamp: timestamp ?? '', accessKey: accessKey ?? '', signature: signature ?? '' }
}

const TIMESTAMP = /^[0-9]{1,16}$/

/**
 * True when `timestamp` is epoch ms in decimal digits within {@link SIGNATURE_WINDOW_MS} of
 * `now`, either way, bounds included (5 min + 1 ms is refused). Missing or not a number: false.
 */
export function timestampFresh(timestamp: string, now: number): boolean {
  if (!TIMESTAMP.test(timestamp)) return false
  return Math.abs(Number(timestamp) - now) <= SIGNATURE_WINDOW_MS
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const BASE64_VALUE = (() => {
  const table = new Int8Array(128).fill(-1)
  for (let i = 0; i < BASE64.length; i++) table[BASE64.charCodeAt(i)] = i
  return table
})()
const HEX = '0123456789abcdef'

/**
 * A signature as NCP writes it — standard Base64 of the 32-byte HMAC, 44 characters ending in
 * one `=` — as 64 lower-case hex characters, to compare with computed HMACs. Null for anything
 * else (wrong length, alphabet or padding, non-zero trailing bits). The signature is public,
 * so stopping early leaks nothing.
 */
export function signatureHex(signature: string): string | null {
  if (signature.length !== 44 || signature.charCodeAt(43) !== 61 /* = */) return null
  let hex = ''
  let bits = 0
  let buffer = 0
  for (let i = 0; i < 43; i++) {
    const code = signature.charCodeAt(i)
    const value = code < 128 ? BASE64_VALUE[code]! : -1
    if (value < 0) return null
    buffer = (buffer << 6) | value
    bits += 6
    if (bits >= 8) {
      bits -= 8
      const byte = (buffer >> bits) & 0xff
      hex += HEX[byte >> 4]! + HEX[byte & 15]!
    }
    buffer &= (1 << bits) - 1
  }
  // 43 × 6 = 258 bits: 32 bytes and two bits that must be zero.
  return buffer === 0 ? hex : null
}

// HMAC key for a candidate without a secret: its HMAC is computed like a real one and never
// counts (the caller masks it out).
const DUMMY_SECRET = new Uint8Array(32)
const NO_MATCH = '0'.repeat(64)

/**
 * Which of four candidate secrets signed `message`: bit `i` of the answer is set when the
 * HMAC under `secrets[i]` equals `presentedHex` (from {@link signatureHex}; null matches
 * nothing). Compared in one constant-time pass over all four. One HMAC is computed per secret
 * present, and at least one (under a dummy key) when none is, so an unknown access key costs
 * what a wrong signature on a one-secret key does; a key holding more live secrets (a second
 * slot, a grace window) costs one HMAC more for each.
 */
export function signatureMatches(
  presentedHex: string | null,
  message: string,
  secrets: readonly [Uint8Array | null, Uint8Array | null, Uint8Array | null, Uint8Array | null],
  hmacHex: HmacHex,
): number {
  const [a, b, c, d] = secrets
  const ha = a ? hmacHex(a, message) : NO_MATCH
  const hb = b ? hmacHex(b, message) : NO_MATCH
  const hc = c ? hmacHex(c, message) : NO_MATCH
  const hd = d ? hmacHex(d, message) : NO_MATCH
  if (!a && !b && !c && !d) hmacHex(DUMMY_SECRET, message)
  const real = (a ? 1 : 0) | (b ? 2 : 0) | (c ? 4 : 0) | (d ? 8 : 0)
  return hexTailsMatch(presentedHex ?? NO_MATCH, ha, hb, hc, hd) & real & (presentedHex ? 15 : 0)
}
