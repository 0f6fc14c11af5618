import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  leakFeedback,
  MAX_LEAK_REPORT_MATCHES,
  parseLeakReport,
  tokenPatternFor,
} from '../../src/core/secret-scanning'
import { mintToken, TOKEN_PATTERN } from '../../src/core/token'

describe('parseLeakReport', () => {
  it('reads GitHub matches, url and source optional', () => {
    const text = JSON.stringify([
      { token: 'a', type: 't', url: 'https://x', source: 'content', extra: 1 },
      { token: 'b', type: 't' },
    ])
    expect(parseLeakReport(text)).toEqual({
      ok: true,
      matches: [
        { token: 'a', type: 't', url: 'https://x', source: 'content' },
        { token: 'b', type: 't', url: null, source: null },
      ],
    })
  })

  it('refuses what is not a list of matches, and more than 1,000', () => {
    for (const text of [
      '{',
      '{}',
      '[1]',
      '[{"token":1,"type":"t"}]',
      '[{"token":"a","type":"t","url":2}]',
    ]) {
      expect(parseLeakReport(text)).toEqual({ ok: false, reason: 'malformed' })
    }
    const many = JSON.stringify(Array(MAX_LEAK_REPORT_MATCHES + 1).fill({ token: 'a', type: 't' }))
    expect(parseLeakReport(many)).toEqual({ ok: false, reason: 'too_many_matches' })
  })
})

describe('tokenPatternFor', () => {
  it('matches exactly the tokens of its prefix', () => {
    const pattern = new RegExp(`^${tokenPatternFor('acme_live')}$`)
    const { token } = mintToken(
      'acme_live',
      'key_01JABCDEFGHJKMNPQRSTVWXYZ0',
      new Uint8Array(32).fill(7),
    )
    expect(pattern.test(token)).toBe(true)
    expect(TOKEN_PATTERN.test(token)).toBe(true)
    expect(pattern.test(token.replace('acme_live', 'acme_test'))).toBe(false)
    expect(pattern.test(token.slice(0, -1))).toBe(false)
    expect(() => tokenPatternFor('Bad-Prefix')).toThrow(/tokenPrefix/)
  })
})

describe('leakFeedback', () => {
  it('answers the SHA-256 of the token, never the token', () => {
    const feedback = leakFeedback(
      { token: 'kc_secret', type: 't', url: null, source: null },
      'false_positive',
    )
    expect(feedback).toEqual({
      token_hash: createHash('sha256').update('kc_secret').digest('hex'),
      token_type: 't',
      label: 'false_positive',
    })
  })
})
