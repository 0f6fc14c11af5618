import { describe, expect, it } from 'vitest'
import {
  createDigester,
  DUMMY_DIGEST,
  digestsEqual,
  hexTailsEqual,
  hexTailsMatch,
} from '../../src/core/digest'
import { KeycycleError } from '../../src/core/errors'

describe('digests at rest', () => {
  it('is SHA-256 hex by default and binds the key ID', () => {
    const digest = createDigester()
    const a = digest('key_A', 'secret')
    expect(a).toMatch(/^[0-9a-f]{64}$/)
    expect(digest('key_A', 'secret')).toBe(a)
    expect(digest('key_B', 'secret')).not.toBe(a)
    expect(a).not.toContain('secret')
  })

  it('becomes HMAC-SHA-256 with a pepper, so a leaked database alone cannot confirm a guess', () => {
    const plain = createDigester()('key_A', 'secret')
    const peppered = createDigester('a-server-side-pepper-value')('key_A', 'secret')
    const other = createDigester('another-server-side-pepper')('key_A', 'secret')
    expect(peppered).toMatch(/^[0-9a-f]{64}$/)
    expect(new Set([plain, peppered, other]).size).toBe(3)
  })

  it('refuses a pepper shorter than 16 bytes', () => {
    expect(() => createDigester('short')).toThrow(KeycycleError)
    expect(() => createDigester(new Uint8Array(8))).toThrow(/pepper/)
  })

  it('compares digests for equality', () => {
    const d = createDigester()('key_A', 's')
    expect(digestsEqual(d, d)).toBe(true)
    expect(digestsEqual(d, `${d.slice(0, -1)}${d.endsWith('0') ? '1' : '0'}`)).toBe(false)
    expect(digestsEqual(d, d.slice(1))).toBe(false)
  })

  it('matches the hex of a presented digest against four stored ones, in one pass or one by one', () => {
    const digest = createDigester()
    const [a, b, c] = ['a', 'b', 'c'].map((secret) => digest('key_A', secret)) as [
      string,
      string,
      string,
    ]
    expect(hexTailsMatch(a, a, b, DUMMY_DIGEST, a)).toBe(0b1001)
    expect(hexTailsMatch(b, a, b, c, DUMMY_DIGEST)).toBe(0b0010)
    expect(hexTailsMatch(c, a, b, DUMMY_DIGEST, DUMMY_DIGEST)).toBe(0)
    // A pepper ID prefix is equal by construction (both made under the pepper the stored one
    // names), so only the hex is compared; the dummy, unprefixed, costs the same.
    expect(hexTailsMatch(`p1$${a}`, `p1$${a}`, DUMMY_DIGEST, `p1$${b}`, a)).toBe(0b1001)
    expect(hexTailsEqual(`p1$${a}`, `p1$${a}`)).toBe(true)
    expect(hexTailsEqual(`p1$${a}`, `p1$${b}`)).toBe(false)
    expect(hexTailsEqual(null, a)).toBe(false)
    // Anything shorter than a digest never matches, through either path.
    expect(hexTailsEqual(a.slice(1), a.slice(1))).toBe(false)
    expect(hexTailsMatch(a, a.slice(1), a, a, a)).toBe(0b1110)
    for (let bit = 0; bit < 4; bit++) {
      const stored = [c, c, c, c]
      stored[bit] = a
      const [s0, s1, s2, s3] = stored as [string, string, string, string]
      expect(hexTailsMatch(a, s0, s1, s2, s3)).toBe(1 << bit)
    }
  })
})

describe('hash implementations', () => {
  it('give identical digests: node:crypto where available, @noble/hashes anywhere', async () => {
    const { platformHashes } = await import('../../src/service/hashes')
    const { NOBLE_HASHES } = await import('../../src/core/digest')
    const native = platformHashes()
    expect(native).not.toBe(NOBLE_HASHES) // Node 20.19 has process.getBuiltinModule
    const pepper = 'a-server-side-pepper-value'
    for (let i = 0; i < 200; i++) {
      const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(i % 64))).toString('base64')
      const keyId = `key_${i}_é`
      expect(createDigester(undefined, native)(keyId, secret)).toBe(
        createDigester(undefined, NOBLE_HASHES)(keyId, secret),
      )
      expect(createDigester(pepper, native)(keyId, secret)).toBe(
        createDigester(pepper, NOBLE_HASHES)(keyId, secret),
      )
    }
  })
})
