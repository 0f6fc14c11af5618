import { ulid } from 'ulid'
import { KeycycleError } from './errors'

/** Random bytes an ID consumes: one per ULID random character (80 bits in all). */
export const ID_RANDOM_BYTES = 16

/** The first character of a canonical ULID (regex source): the time's top three bits. */
export const ULID_FIRST = '[0-7]'
/** Every other character of a canonical ULID: upper-case Crockford base32 (regex source). */
export const ULID_REST = '[0-9A-HJKMNP-TV-Z]'
/** Matches a ULID in canonical upper-case Crockford form (regex source). */
export const ULID_SOURCE = `${ULID_FIRST}${ULID_REST}{25}`
const KEY_ID = new RegExp(`^key_${ULID_SOURCE}$`)
const ORGANISATION_ID = new RegExp(`^org_${ULID_SOURCE}$`)

export type IdKind = 'key' | 'org' | 'evt'

/**
 * A prefixed ULID (`key_01J…`). Time and randomness come in as arguments so the core stays
 * pure; `random` must hold at least {@link ID_RANDOM_BYTES} bytes from a CSPRNG.
 */
export function newId(kind: IdKind, now: number, random: Uint8Array): string {
  // ulid() falls back to Date.now() for a falsy seed and to its own PRNG without one; both
  // would break purity, so refuse them here rather than let the library read the clock.
  if (!Number.isSafeInteger(now) || now <= 0) {
    throw new KeycycleError('validation', 'clock: now must be a positive integer of epoch ms')
  }
  if (random.length < ID_RANDOM_BYTES) throw new RangeError('not enough random bytes for an ID')
  let next = 0
  // Each character takes one byte: byte/256 * 32 keeps the top five bits, uniformly.
  const prng = () => random[next++]! / 256
  return `${kind}_${ulid(now, prng)}`
}

/** True for a syntactically valid key ID (`key_` + ULID). */
export function isKeyId(value: unknown): value is string {
  return typeof value === 'string' && KEY_ID.test(value)
}

/** True for a syntactically valid organisation ID (`org_` + ULID). */
export function isOrganisationId(value: unknown): value is string {
  return typeof value === 'string' && ORGANISATION_ID.test(value)
}
