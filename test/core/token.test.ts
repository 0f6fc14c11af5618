import { describe, expect, it } from 'vitest'
import { BASE62_ALPHABET, base62Small, crc32 } from '../../src/core/encoding'
import { newId, ULID_SOURCE } from '../../src/core/ids'
import {
  assertTokenPrefix,
  hasValidChecksum,
  MAX_TOKEN_LENGTH,
  mintToken,
  parseToken,
  TOKEN_PATTERN,
  tokenHint,
} from '../../src/core/token'
import { T0 } from '../helpers/clock'

const bytes = (n: number, fill?: number) =>
  fill === undefined ? crypto.getRandomValues(new Uint8Array(n)) : new Uint8Array(n).fill(fill)

function sample(prefix = 'kc') {
  const keyId = newId('key', T0, bytes(16))
  return { keyId, ...mintToken(prefix, keyId, bytes(32)) }
}

describe('token format', () => {
  it('is <prefix>_<ULID>_<43 secret><6 checksum> in [A-Za-z0-9_] only', () => {
    const { token, keyId } = sample('kc_live')
    expect(token).toMatch(/^kc_live_[0-9A-Z]{26}_[0-9A-Za-z]{49}$/)
    expect(token.startsWith(`kc_live_${keyId.slice(4)}_`)).toBe(true)
    expect(token.length).toBeLessThanOrEqual(MAX_TOKEN_LENGTH)
  })

  it('parses back to the key ID and secret', () => {
    const { token, keyId, secret } = sample()
    expect(parseToken(token, 'kc')).toEqual({ keyId, secret })
  })

  it('carries 256 bits of secret: different bytes, different secrets, extremes encodable', () => {
    expect(mintToken('kc', newId('key', T0, bytes(16)), bytes(32, 0)).secret).toBe('0'.repeat(43))
    expect(mintToken('kc', newId('key', T0, bytes(16)), bytes(32, 255)).secret).toHaveLength(43)
    expect(() => mintToken('kc', newId('key', T0, bytes(16)), bytes(24))).toThrow(RangeError)
  })

  it('rejects every one-character change anywhere in the token', () => {
    const { token } = sample('kc_live')
    const alphabet = `${BASE62_ALPHABET}_`
    let tried = 0
    for (let i = 0; i < token.length; i++) {
      for (const c of alphabet) {
        if (c === token[i]) continue
        const changed = token.slice(0, i) + c + token.slice(i + 1)
        tried++
        expect(parseToken(changed, 'kc_live'), `position ${i} → ${c}`).toBeNull()
      }
    }
    expect(tried).toBeGreaterThan(token.length * 60)
  })

  it('rejects truncation, extension, other prefixes and non-strings', () => {
    const { token } = sample()
    expect(parseToken(token.slice(0, -1), 'kc')).toBeNull()
    expect(parseToken(`${token}0`, 'kc')).toBeNull()
    expect(parseToken(` ${token}`, 'kc')).toBeNull()
    expect(parseToken(token, 'kc_live')).toBeNull()
    expect(parseToken(token.replace(/^kc/, 'kd'), 'kd')).toBeNull()
    expect(parseToken(undefined, 'kc')).toBeNull()
    expect(parseToken(42, 'kc')).toBeNull()
    expect(parseToken('x'.repeat(10_000), 'kc')).toBeNull()
  })

  it('is found by the published pattern inside text, and the checksum confirms it', () => {
    const { token } = sample('acme_test')
    const match = TOKEN_PATTERN.exec(`config: API_KEY="${token}" # do not commit`)
    expect(match?.[0]).toBe(token)
    expect(hasValidChecksum(token)).toBe(true)
    const other = token.endsWith('x') ? 'y' : 'x' // a random token ends in x one time in 62
    expect(hasValidChecksum(`${token.slice(0, -1)}${other}`)).toBe(false)
  })

  it('parses exactly the tokens of the published shape whose checksum holds', () => {
    // The reference is the shape as a pattern; parseToken checks it in its checksum pass.
    const shape = new RegExp(`^acme_${ULID_SOURCE}_[0-9A-Za-z]{49}$`)
    const { token, keyId } = sample('acme')
    const characters = `${BASE62_ALPHABET}_-~ é\u0000IiLlOoUu89`
    let accepted = 0
    for (let i = 0; i < 4000; i++) {
      // One character of the tail replaced, then the checksum made valid again, so that only
      // the shape can decide.
      const at = 'acme'.length + (i % (token.length - 6 - 'acme'.length))
      const replacement = characters[Math.floor(Math.random() * characters.length)]!
      const body = token.slice(0, at) + replacement + token.slice(at + 1, -6)
      const candidate = body + base62Small(crc32(body), 6)
      const parsed = parseToken(candidate, 'acme')
      expect(parsed !== null, candidate).toBe(shape.test(candidate))
      if (parsed !== null) accepted++
    }
    expect(accepted).toBeGreaterThan(1000)
    expect(parseToken(token, 'acme')).toEqual({ keyId, secret: token.slice(-49, -6) })
  })

  it('shows only a hint of the last four characters', () => {
    const { token } = sample()
    expect(tokenHint(token)).toBe(`*****${token.slice(-4)}`)
  })

  it('accepts lower-case word prefixes only', () => {
    for (const ok of ['kc', 'kc_live', 'acme2_test'])
      expect(() => assertTokenPrefix(ok)).not.toThrow()
    for (const bad of ['', 'KC', 'kc-live', '_kc', 'kc_', '1kc', 'a'.repeat(33), 7]) {
      expect(() => assertTokenPrefix(bad)).toThrow(/tokenPrefix/)
    }
  })
})
