// Hand-written because the runtime dependencies are fixed to @noble/hashes and ulid, and neither
// ships CRC32 or base62; both are small, and test/core/encoding.test.ts pins them to known vectors.

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/**
 * CRC-32 (IEEE 802.3, as zlib and GitHub tokens use) of an ASCII string, or of its first `end`
 * characters (so a caller need not slice).
 */
export function crc32(text: string, end: number = text.length): number {
  // No position to check: the shape-checking loop below runs over nothing.
  return crc32Shaped(text, end, end, NO_POSITIONS)
}

const NO_POSITIONS = new Uint8Array(0)

/**
 * {@link crc32} of `text`'s first `end` characters that, in the same pass, checks each one from
 * `from` on against `allowed`: 128 entries per position counted from `from`, non-zero where that
 * ASCII character may stand. Returns -1 when one may not (a CRC is never negative). One pass
 * instead of a pattern match and then a checksum: this runs on every verification.
 */
export function crc32Shaped(text: string, from: number, end: number, allowed: Uint8Array): number {
  let crc = 0xffffffff
  for (let i = 0; i < from; i++) crc = CRC_TABLE[(crc ^ text.charCodeAt(i)) & 0xff]! ^ (crc >>> 8)
  for (let i = from; i < end; i++) {
    const code = text.charCodeAt(i)
    if (code > 127 || allowed[(i - from) * 128 + code] === 0) return -1
    crc = CRC_TABLE[(crc ^ code) & 0xff]! ^ (crc >>> 8)
  }
  return (crc ^ 0xffffffff) >>> 0
}

/** Digits then upper then lower case: the order GitHub uses for its token checksums. */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/**
 * Encodes a non-negative integer as base62, left-padded with `0` to exactly `length` digits.
 * Throws a RangeError when the value does not fit, which would be a programming error.
 */
export function base62(value: bigint, length: number): string {
  let rest = value
  let out = ''
  while (rest > 0n) {
    out = BASE62_ALPHABET[Number(rest % 62n)]! + out
    rest /= 62n
  }
  if (out.length > length) throw new RangeError(`value needs more than ${length} base62 digits`)
  return out.padStart(length, '0')
}

/**
 * {@link base62} for a safe integer (such as a CRC-32), without BigInt: this runs on every
 * verification, where BigInt arithmetic was a measurable share of the cost.
 */
export function base62Small(value: number, length: number): string {
  let rest = value
  let out = ''
  while (rest > 0) {
    out = BASE62_ALPHABET[rest % 62]! + out
    rest = Math.floor(rest / 62)
  }
  if (out.length > length) throw new RangeError(`value needs more than ${length} base62 digits`)
  return out.padStart(length, '0')
}

/**
 * True when `text` holds `base62Small(value, length)` at `from`, checked digit by digit from the
 * right without building a string (the token checksum, on every verification). The checksum
 * is public, so stopping at the first differing digit leaks nothing.
 */
export function isBase62Small(value: number, text: string, from: number, length: number): boolean {
  let rest = value
  for (let i = from + length - 1; i >= from; i--) {
    if (text.charCodeAt(i) !== BASE62_ALPHABET.charCodeAt(rest % 62)) return false
    rest = Math.floor(rest / 62)
  }
  return rest === 0
}

/** Reads bytes as one big-endian unsigned integer. */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  let value = 0n
  for (const byte of bytes) value = (value << 8n) | BigInt(byte)
  return value
}
