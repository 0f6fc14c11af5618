// Tokens to verify: valid ones minted by keycycle itself, and the two refusals whose cost must
// match (docs/decisions.md#verification): a wrong secret for a key that exists, and a key that does not exist, both
// with a valid checksum so that only the store and the digest can tell.
import { randomBytes } from 'node:crypto'
import { newId } from '../src/core/ids'
import { mintToken, SECRET_BYTES } from '../src/core/token'
import type { Keycycle } from '../src/service/keycycle'

/** Fixture tokens for one keycycle instance, all with the default `kc` prefix. */
export interface Tokens {
  valid: string[]
  wrongSecret: string[]
  unknownKey: string[]
}

/** A token with a valid checksum and a random secret, for `keyId` (existing or not). */
export function forgedToken(keyId: string): string {
  return mintToken('kc', keyId, randomBytes(SECRET_BYTES)).token
}

/** Creates `count` organisations (each with its first key) and the tokens to verify. */
export async function makeTokens(kc: Keycycle, count: number): Promise<Tokens> {
  const tokens: Tokens = { valid: [], wrongSecret: [], unknownKey: [] }
  for (let i = 0; i < count; i++) {
    const { key, token } = await kc.createOrganisation({ key: { name: `bench ${i}` } })
    tokens.valid.push(token)
    tokens.wrongSecret.push(forgedToken(key.id))
    tokens.unknownKey.push(forgedToken(newId('key', Date.now(), randomBytes(16))))
  }
  return tokens
}

/**
 * Checks what every fixture verifies as before timing it, so a figure can never time a
 * failure it takes for a success (or the reverse).
 */
export async function checkTokens(kc: Keycycle, tokens: Tokens): Promise<void> {
  for (const token of tokens.valid) {
    const result = await kc.verify(token)
    if (!result.ok) throw new Error(`fixture: a valid token verified as ${result.code}`)
  }
  for (const [list, code] of [
    [tokens.wrongSecret, 'invalid'],
    [tokens.unknownKey, 'not_found'],
  ] as const) {
    for (const token of list) {
      const result = await kc.verify(token)
      if (result.ok || result.code !== code) throw new Error(`fixture: expected ${code}`)
    }
  }
}

/** A verification that must succeed (throws otherwise, which ends the bench loudly). */
export function verifyOk(kc: Keycycle, next: () => string): () => Promise<void> {
  return async () => {
    if (!(await kc.verify(next())).ok) throw new Error('a valid token failed to verify')
  }
}

/** A verification that must be refused. */
export function verifyRefused(kc: Keycycle, next: () => string): () => Promise<void> {
  return async () => {
    if ((await kc.verify(next())).ok) throw new Error('a refused token verified')
  }
}
