import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import { KeycycleError } from './errors'

/**
 * The hash primitives digests need, over UTF-8 text, each returning lower-case hex. Every
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

/** A server-side secret that keys the digests, with the ID digests record it by. */
export interface Pepper {
  /** 1–16 characters of `[a-z0-9_-]`; `''` only for the legacy single pepper (see below). */
  id: string
  secret: string | Uint8Array
}

/** The `pepper` option: one secret (shorthand), or a list whose first entry is current. */
export type PepperOption = string | Uint8Array | readonly Pepper[]

const PEPPER_ID = /^[a-z0-9_-]{1,16}$/

/** Characters of hex at the end of every stored digest (SHA-256 or HMAC-SHA-256). */
const HEX_LENGTH = 64

/**
 * A digest no secret produces in practice; unknown keys and empty slots compare against it.
 * Written out rather than built with `repeat`, which gives a rope string that V8 reads more
 * slowly on every comparison.
 */
export const DUMMY_DIGEST = '0000000000000000000000000000000000000000000000000000000000000000'

/**
 * Makes and checks stored digests. A digest is 64 hex characters of SHA-256, or of
 * HMAC-SHA-256 under a pepper; a digest made under a pepper with an ID is stored as
 * `<id>$<hex>`, so verification knows which pepper to use and old peppers can be retired.
 * Unprefixed hex is a digest made with no pepper, or with the legacy single pepper (a plain
 * string or bytes, or a list entry with ID `''`).
 */
export interface Digests {
  /** The ID of the current pepper (`''` for none or the legacy one). */
  readonly current: string
  /** The digest of a new token's secret, under the current pepper. */
  mint(keyId: string, secret: string): string
  /**
   * The digest of `secret` made the way `stored` was, to compare with it; null when `stored`
   * names a pepper that is not configured (such a token can only be `invalid`).
   * {@link DUMMY_DIGEST} is treated as a current digest, so dummies cost what real ones do.
   */
  like(stored: string, keyId: string, secret: string): string | null
  /** True when `stored` was not made under the current pepper (a candidate for re-digesting). */
  isOutdated(stored: string): boolean
  /** The ID of the pepper a stored digest names (`''` for none or the legacy one). */
  pepperOf(stored: string): string
}

/**
 * The peppers of a `pepper` option, validated: none for `undefined`, else a non-empty list of
 * unique IDs with secrets of at least {@link MIN_PEPPER_BYTES} bytes. Throws `validation`.
 */
export function readPeppers(pepper: PepperOption | undefined): { id: string; key: Uint8Array }[] {
  if (pepper === undefined) return []
  const list: readonly Pepper[] =
    typeof pepper === 'string' || pepper instanceof Uint8Array
      ? [{ id: '', secret: pepper }]
      : pepper
  if (!Array.isArray(list) || list.length === 0) {
    throw new KeycycleError('validation', 'pepper: must be a string, bytes, or a non-empty list', {
      details: { field: 'pepper' },
    })
  }
  const seen = new Set<string>()
  return list.map((entry: Pepper, i: number) => {
    const field = `pepper[${i}]`
    const id = entry?.id
    if (typeof id !== 'string' || (id !== '' && !PEPPER_ID.test(id)) || seen.has(id)) {
      throw new KeycycleError('validation', `${field}.id: must be unique, 1–16 of [a-z0-9_-]`, {
        details: { field: `${field}.id` },
      })
    }
    seen.add(id)
    const key = typeof entry.secret === 'string' ? utf8ToBytes(entry.secret) : entry.secret
    if (!(key instanceof Uint8Array) || key.length < MIN_PEPPER_BYTES) {
      throw new KeycycleError('validation', `pepper: must be at least ${MIN_PEPPER_BYTES} bytes`, {
        details: { field: 'pepper' },
      })
    }
    return { id, key }
  })
}

/**
 * Builds the digests for a `pepper` option (none: plain SHA-256). The key ID is bound into the
 * input, so a digest copied onto another key's record does not verify there. Throws
 * `validation` for a pepper shorter than 16 bytes or a bad or repeated pepper ID.
 */
export function createDigests(
  pepper?: PepperOption,
  hashes: HashFunctions = NOBLE_HASHES,
): Digests {
  const peppers = readPeppers(pepper)
  const byId = new Map(peppers.map((p) => [p.id, p.key]))
  const message = (keyId: string, secret: string) => `keycycle:v1:${keyId}:${secret}`
  const under = (id: string, keyId: string, secret: string): string | null => {
    const key = byId.get(id)
    if (key === undefined) return id === '' ? hashes.sha256Hex(message(keyId, secret)) : null
    const hex = hashes.hmacSha256Hex(key, message(keyId, secret))
    return id === '' ? hex : `${id}$${hex}`
  }
  const current = peppers[0]?.id ?? ''
  const pepperOf = (stored: string) => {
    // Unprefixed hex is exactly 64 characters; `<id>$<hex>` is longer. Four times a verification.
    if (stored.length === HEX_LENGTH) return ''
    const cut = stored.indexOf('$')
    return cut === -1 ? '' : stored.slice(0, cut)
  }
  return {
    current,
    mint: (keyId, secret) => under(current, keyId, secret)!,
    like: (stored, keyId, secret) =>
      under(stored === DUMMY_DIGEST ? current : pepperOf(stored), keyId, secret),
    isOutdated: (stored) => pepperOf(stored) !== current,
    pepperOf,
  }
}

/**
 * Compares two digests in time that depends only on their length, never on where they differ.
 * Digests of one kind always have the same length, so a length mismatch is simply unequal.
 */
export function digestsEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

/**
 * Whether two digests made under the same pepper are equal, in time that depends on nothing
 * but the digest length. Only the last 64 characters (the hex) are compared: callers compare a
 * stored digest only with one made under the pepper it names, so an `<id>$` prefix is equal by
 * construction, and the unprefixed {@link DUMMY_DIGEST} costs what a prefixed digest does. A
 * null (a pepper that is not configured) matches nothing.
 */
export function hexTailsEqual(presented: string | null, stored: string): boolean {
  if (presented === null || presented.length < HEX_LENGTH || stored.length < HEX_LENGTH) {
    return false
  }
  const p = presented.length - HEX_LENGTH
  const s = stored.length - HEX_LENGTH
  let diff = 0
  for (let i = 0; i < HEX_LENGTH; i++)
    diff |= presented.charCodeAt(p + i) ^ stored.charCodeAt(s + i)
  return diff === 0
}

/**
 * {@link hexTailsEqual} of one presented digest against four stored ones in a single pass,
 * which reads the presented digest once instead of four times (the comparisons are most of a
 * cached verification's own work). Bit `i` of the result is set when the `i`-th stored digest
 * matches. The time depends on nothing but the lengths.
 */
export function hexTailsMatch(
  presented: string,
  a: string,
  b: string,
  c: string,
  d: string,
): number {
  const short = Math.min(presented.length, a.length, b.length, c.length, d.length) < HEX_LENGTH
  if (short) return hexTailsEach(presented, a, b, c, d)
  const p = presented.length - HEX_LENGTH
  const ao = a.length - HEX_LENGTH
  const bo = b.length - HEX_LENGTH
  const co = c.length - HEX_LENGTH
  const dO = d.length - HEX_LENGTH
  let da = 0
  let db = 0
  let dc = 0
  let dd = 0
  for (let i = 0; i < HEX_LENGTH; i++) {
    const x = presented.charCodeAt(p + i)
    da |= x ^ a.charCodeAt(ao + i)
    db |= x ^ b.charCodeAt(bo + i)
    dc |= x ^ c.charCodeAt(co + i)
    dd |= x ^ d.charCodeAt(dO + i)
  }
  return (da === 0 ? 1 : 0) | (db === 0 ? 2 : 0) | (dc === 0 ? 4 : 0) | (dd === 0 ? 8 : 0)
}

function hexTailsEach(presented: string, a: string, b: string, c: string, d: string): number {
  return (
    (hexTailsEqual(presented, a) ? 1 : 0) |
    (hexTailsEqual(presented, b) ? 2 : 0) |
    (hexTailsEqual(presented, c) ? 4 : 0) |
    (hexTailsEqual(presented, d) ? 8 : 0)
  )
}

/** Hashes a token's secret for storage under the current pepper (see {@link Digests.mint}). */
export type Digester = (keyId: string, secret: string) => string

/** The minting half of {@link createDigests}: a function from key ID and secret to a digest. */
export function createDigester(pepper?: PepperOption, hashes?: HashFunctions): Digester {
  const digests = createDigests(pepper, hashes)
  return (keyId, secret) => digests.mint(keyId, secret)
}
