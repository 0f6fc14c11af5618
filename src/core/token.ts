import { base62, base62Small, bytesToBigInt, crc32, crc32Shaped, isBase62Small } from './encoding'
import { invalidInput } from './errors'
import { ULID_FIRST, ULID_REST, ULID_SOURCE } from './ids'

/** Bytes of CSPRNG output in a token's secret: 256 bits, above SPEC's 192-bit floor. */
export const SECRET_BYTES = 32
/** Base62 digits that hold {@link SECRET_BYTES} bytes (62^43 > 2^256). */
export const SECRET_LENGTH = 43
/** Base62 digits of the CRC-32 checksum (62^6 > 2^32). */
export const CHECKSUM_LENGTH = 6
/** Longest prefix accepted, so that a token always fits comfortably in one header line. */
export const MAX_PREFIX_LENGTH = 32
/** Upper bound on a token's length; anything longer is rejected before any parsing. */
export const MAX_TOKEN_LENGTH = MAX_PREFIX_LENGTH + 1 + 26 + 1 + SECRET_LENGTH + CHECKSUM_LENGTH

const PREFIX_SOURCE = '[a-z][a-z0-9]*(?:_[a-z0-9]+)*'
const BASE62_CHARACTER = '[0-9A-Za-z]'

/**
 * Matches a keycycle token anywhere in a text, whatever its prefix: for secret scanners and log
 * scrubbers. Checksum validity is not expressible as a regex; confirm candidates with
 * {@link hasValidChecksum}.
 */
export const TOKEN_PATTERN = new RegExp(
  `\\b${PREFIX_SOURCE}_${ULID_SOURCE}_${BASE62_CHARACTER}{${SECRET_LENGTH + CHECKSUM_LENGTH}}\\b`,
)

const PREFIX_PATTERN = new RegExp(`^${PREFIX_SOURCE}$`)
// `_` + ULID + `_` + secret + checksum.
const TAIL_LENGTH = 1 + 26 + 1 + SECRET_LENGTH + CHECKSUM_LENGTH

// The class of each position of the tail before the checksum (the checksum's digits are
// compared exactly), and from them a table of which ASCII character may stand where, built
// once from the same class sources as the patterns above.
const TAIL_CLASSES = [
  '_',
  ULID_FIRST,
  ...Array<string>(25).fill(ULID_REST),
  '_',
  ...Array<string>(SECRET_LENGTH).fill(BASE62_CHARACTER),
]
const TAIL_ALLOWED = (() => {
  const table = new Uint8Array(TAIL_CLASSES.length * 128)
  const patterns = new Map(TAIL_CLASSES.map((source) => [source, new RegExp(`^${source}$`)]))
  TAIL_CLASSES.forEach((source, position) => {
    const pattern = patterns.get(source)!
    for (let code = 0; code < 128; code++) {
      if (pattern.test(String.fromCharCode(code))) table[position * 128 + code] = 1
    }
  })
  return table
})()

/** Throws `validation` unless `prefix` is lower-case words joined by `_` (e.g. `kc_live`). */
export function assertTokenPrefix(prefix: unknown): asserts prefix is string {
  if (
    typeof prefix !== 'string' ||
    prefix.length > MAX_PREFIX_LENGTH ||
    !PREFIX_PATTERN.test(prefix)
  ) {
    throw invalidInput('tokenPrefix', `must match /${PREFIX_SOURCE}/, at most 32 characters`)
  }
}

function checksumOf(body: string): string {
  return base62Small(crc32(body), CHECKSUM_LENGTH)
}

/**
 * Builds `<prefix>_<ULID>_<secret><checksum>` for a key ID (`key_<ULID>`). `secretBytes` must be
 * {@link SECRET_BYTES} bytes from a CSPRNG. Returns the token and the secret part that is hashed.
 */
export function mintToken(
  prefix: string,
  keyId: string,
  secretBytes: Uint8Array,
): { token: string; secret: string } {
  if (secretBytes.length !== SECRET_BYTES) throw new RangeError('a secret takes exactly 32 bytes')
  const secret = base62(bytesToBigInt(secretBytes), SECRET_LENGTH)
  const body = `${prefix}_${keyId.slice('key_'.length)}_${secret}`
  return { token: body + checksumOf(body), secret }
}

/** True when the last six characters are the CRC-32 of everything before them. */
export function hasValidChecksum(token: string): boolean {
  const cut = token.length - CHECKSUM_LENGTH
  return cut > 0 && isBase62Small(crc32(token, cut), token, cut, CHECKSUM_LENGTH)
}

/** The parts of a well-formed token. */
export interface ParsedToken {
  keyId: string
  secret: string
}

/**
 * Parses a token minted with `prefix`. Returns null — never throws — for anything that is not
 * such a token: wrong type, wrong length or alphabet, another prefix, or a checksum mismatch.
 * Needs no storage: a mistyped token is rejected here.
 */
export function parseToken(token: unknown, prefix: string): ParsedToken | null {
  // The tail after the prefix has a fixed length: checking that first keeps the hot path cheap.
  if (typeof token !== 'string' || token.length !== prefix.length + TAIL_LENGTH) return null
  if (!token.startsWith(prefix)) return null
  const at = prefix.length
  const cut = token.length - CHECKSUM_LENGTH
  const crc = crc32Shaped(token, at, cut, TAIL_ALLOWED)
  if (crc < 0 || !isBase62Small(crc, token, cut, CHECKSUM_LENGTH)) return null
  return {
    keyId: `key_${token.slice(at + 1, at + 27)}`,
    secret: token.slice(at + 28, at + 28 + SECRET_LENGTH),
  }
}

/**
 * The key ID a well-formed token names, whatever prefix it was minted with; null for anything
 * that is not such a token (checked as {@link parseToken} checks it).
 */
export function tokenKeyId(token: string): string | null {
  if (token.length <= TAIL_LENGTH) return null
  return parseToken(token, token.slice(0, token.length - TAIL_LENGTH))?.keyId ?? null
}

/** The masked form shown on reads: `*****` plus the last four characters. */
export function tokenHint(token: string): string {
  return `*****${token.slice(-4)}`
}
