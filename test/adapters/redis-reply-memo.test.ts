import { describe, expect, it } from 'vitest'
import { ReplyMemo } from '../../adapters/redis/reply-memo'

describe('ReplyMemo (the Redis verification read)', () => {
  it('returns the same frozen records for the same text, and decodes any other text afresh', () => {
    let parsed = 0
    const memo = new ReplyMemo((text: string) => {
      parsed++
      return JSON.parse(text) as { state: string; slots: string[] }
    })
    const active = JSON.stringify({ state: 'active', slots: ['a'] })
    const first = memo.decode('key_1', active)
    // A new string with the same content, as every reply from the server is.
    expect(memo.decode('key_1', `${active} `.trimEnd())).toBe(first)
    expect(parsed).toBe(1)
    expect(Object.isFrozen(first) && Object.isFrozen(first.slots)).toBe(true)
    // A revocation changes the text: never the remembered records.
    const revoked = memo.decode('key_1', JSON.stringify({ state: 'blocked', slots: ['a'] }))
    expect(revoked.state).toBe('blocked')
    expect(memo.decode('key_1', active)).toEqual(first)
    expect(parsed).toBe(3)
  })

  it('remembers per ID, so an unknown ID decodes the decoy on its first read like any cold key', () => {
    let parsed = 0
    const memo = new ReplyMemo((text: string) => {
      parsed++
      return JSON.parse(text) as unknown
    }, 2)
    const decoy = '["decoy"]'
    memo.decode('key_unknown_1', decoy)
    memo.decode('key_unknown_2', decoy)
    expect(parsed).toBe(2)
    memo.decode('key_unknown_1', decoy)
    expect(parsed).toBe(2)
    // Full: a third ID starts the memo afresh, so memory stays bounded.
    memo.decode('key_unknown_3', decoy)
    memo.decode('key_unknown_1', decoy)
    expect(parsed).toBe(4)
  })
})
