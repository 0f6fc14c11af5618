import { describe, expect, it } from 'vitest'
import { base62, base62Small, bytesToBigInt, crc32 } from '../../src/core/encoding'

describe('crc32', () => {
  it('matches the standard check values of CRC-32/ISO-HDLC', () => {
    expect(crc32('123456789')).toBe(0xcbf43926)
    expect(crc32('')).toBe(0)
    expect(crc32('The quick brown fox jumps over the lazy dog')).toBe(0x414fa339)
  })
})

describe('base62', () => {
  it('encodes with fixed width, digits before letters', () => {
    expect(base62(0n, 3)).toBe('000')
    expect(base62(61n, 2)).toBe('0z')
    expect(base62(62n, 2)).toBe('10')
    expect(base62(2n ** 32n - 1n, 6)).toBe('4gfFC3')
  })

  it('holds 32 bytes in 43 digits and refuses what does not fit', () => {
    const max = bytesToBigInt(new Uint8Array(32).fill(255))
    expect(base62(max, 43)).toHaveLength(43)
    expect(() => base62(62n ** 3n, 3)).toThrow(RangeError)
  })
})

describe('base62Small', () => {
  it('matches base62 for every 32-bit checksum it is used for', () => {
    const samples = [0, 1, 61, 62, 3843, 2 ** 31, 2 ** 32 - 1]
    for (let i = 0; i < 1000; i++) samples.push(crc32(`sample ${i}`))
    for (const value of samples) expect(base62Small(value, 6)).toBe(base62(BigInt(value), 6))
    expect(() => base62Small(62 ** 3, 3)).toThrow(RangeError)
  })
})
