import { describe, expect, it } from 'vitest'
import { keyRecord, T0 } from '../../src/conformance/fixtures'
import { createDigests } from '../../src/core/digest'
import {
  findLeakedToken,
  isRevokedDigest,
  noteLeak,
  revokedDigest,
  revokeLeakedToken,
  unrevokedDigest,
} from '../../src/core/leaks'
import { mintToken, parseToken } from '../../src/core/token'

const digests = createDigests([{ id: 'p1', secret: 'a pepper of sixteen bytes or more' }])

function tokenFor(keyId: string, fill: number) {
  const { token, secret } = mintToken('kc', keyId, new Uint8Array(32).fill(fill))
  return { token, digest: digests.mint(keyId, secret) }
}

const digestFor = (token: string) => {
  const parsed = parseToken(token, 'kc')!
  return (stored: string) => digests.like(stored, parsed.keyId, parsed.secret)
}

describe('revoked digests', () => {
  it('mark peppered and unpeppered digests so that no pepper matches, and come back', () => {
    for (const stored of [`p1$${'a'.repeat(64)}`, 'b'.repeat(64)]) {
      const revoked = revokedDigest(stored)
      expect(isRevokedDigest(revoked)).toBe(true)
      expect(revokedDigest(revoked)).toBe(revoked)
      expect(unrevokedDigest(revoked)).toBe(stored)
      expect(digests.pepperOf(revoked).startsWith('!')).toBe(true)
      expect(digests.like(revoked, 'key_x', 'secret')).toBeNull()
    }
  })
})

describe('findLeakedToken and revokeLeakedToken', () => {
  const base = keyRecord()
  const primary = tokenFor(base.id, 1)
  const retiring = tokenFor(base.id, 2)
  const secondary = tokenFor(base.id, 3)
  const record = {
    ...base,
    primary: {
      ...base.primary,
      digest: primary.digest,
      retiring: { digest: retiring.digest, hint: '*****abcd', until: T0 + 1000, lastUsedAt: null },
    },
    secondary: { ...base.primary, digest: secondary.digest, retiring: null },
  }

  it('finds which token of the key a secret is, and none for a stranger or a dead grace', () => {
    expect(findLeakedToken(record, digestFor(primary.token), T0)).toEqual({
      slot: 'primary',
      which: 'current',
      revoked: false,
    })
    expect(findLeakedToken(record, digestFor(retiring.token), T0)).toMatchObject({
      which: 'retiring',
    })
    expect(findLeakedToken(record, digestFor(retiring.token), T0 + 1000)).toBeNull()
    expect(findLeakedToken(record, digestFor(secondary.token), T0)).toMatchObject({
      slot: 'secondary',
    })
    expect(findLeakedToken(record, digestFor(tokenFor(base.id, 9).token), T0)).toBeNull()
  })

  it('revokes a current token by its digest, a retiring one by dropping it, as the system', () => {
    const leaked = findLeakedToken(record, digestFor(primary.token), T0)!
    const revoked = revokeLeakedToken(record, leaked, T0 + 5)!
    expect(revoked).toMatchObject({ version: record.version + 1, modifiedBy: 'system' })
    expect(revoked.primary.retiring).toEqual(record.primary.retiring)
    expect(revoked.secondary).toEqual(record.secondary)
    expect(isRevokedDigest(revoked.primary.digest)).toBe(true)
    const again = findLeakedToken(revoked, digestFor(primary.token), T0)
    expect(again).toEqual({ slot: 'primary', which: 'current', revoked: true })
    expect(revokeLeakedToken(revoked, again!, T0)).toBeNull()
    const old = findLeakedToken(record, digestFor(retiring.token), T0)!
    expect(revokeLeakedToken(record, old, T0)!.primary).toMatchObject({
      digest: primary.digest,
      retiring: null,
    })
  })

  it('notes a leak with a version bump only', () => {
    expect(noteLeak(record)).toEqual({ ...record, version: record.version + 1 })
  })
})
