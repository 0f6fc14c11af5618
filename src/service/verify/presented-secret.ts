import { type Digests, DUMMY_DIGEST } from '../../core/digest'
import { importedHexOf } from '../../core/imported'

/**
 * The presented secret, digested the way a stored digest was made: under the pepper that
 * digest names (the dummy counts as current). Each pepper's digest is computed once and kept
 * for the other candidates, so an unknown key costs what a wrong secret does: the secret is
 * digested whatever was found, once per pepper the candidates name. Two peppers at most are in
 * play (during a pepper rotation), and the two remembered here cover them without a Map: one
 * digest per verification outside a rotation, the same as the bench's floor.
 */
export function presentedSecret(
  digests: Digests,
  keyId: string,
  secret: string,
): (stored: string) => string | null {
  let firstPepper: string | undefined
  let firstDigest: string | null = null
  let otherPepper: string | undefined
  let otherDigest: string | null = null
  return (stored) => {
    const pepper = stored === DUMMY_DIGEST ? digests.current : digests.pepperOf(stored)
    if (pepper === firstPepper) return firstDigest
    if (pepper === otherPepper) return otherDigest
    const made = digests.like(stored, keyId, secret)
    if (firstPepper === undefined) {
      firstPepper = pepper
      firstDigest = made
    } else {
      otherPepper = pepper
      otherDigest = made
    }
    return made
  }
}

/**
 * An imported token, by the hex of its plain SHA-256 (computed once, for the lookup), as the
 * decide step compares it: it matches imported digests only, and the dummy costs what they do.
 * Such a token is never re-digested: the index finds it by that SHA-256 until a rotation
 * replaces it.
 */
export function importedDigestFor(hex: string): (stored: string) => string | null {
  return (stored) => (stored === DUMMY_DIGEST || importedHexOf(stored) !== null ? hex : null)
}
