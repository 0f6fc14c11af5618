import { describe, expect, it } from 'vitest'
import { readCredential, signatureHeaders } from '../../src/http/credentials'

const token = `kc_01JD8X3YQ0V6N2M4K7P9R1S3T5_${'a'.repeat(49)}`

describe('reading credentials from headers', () => {
  it('takes Token, Bearer (any case), X-API-Key and NCP’s x-ncp-apigw-api-key', () => {
    for (const headers of [
      { authorization: `Token ${token}` },
      { authorization: `bearer ${token}` },
      { 'x-api-key': token },
      { 'x-ncp-apigw-api-key': token },
      { authorization: [`Token ${token}`] },
    ]) {
      expect(readCredential(headers)).toEqual({ kind: 'token', token })
    }
  })

  it('is missing without either header', () => {
    expect(readCredential({})).toEqual({ kind: 'missing' })
  })

  it.each([
    ['a repeated header', { 'x-api-key': [token, token] }],
    ['a repeated Authorization', { authorization: [`Token ${token}`, `Token ${token}`] }],
    [
      'Authorization and X-API-Key, even equal',
      { authorization: `Token ${token}`, 'x-api-key': token },
    ],
    ['two API-key headers', { 'x-api-key': token, 'x-ncp-apigw-api-key': token }],
    ['comma-joined values', { authorization: `Token ${token},Token ${token}` }],
    ['a trailing space', { authorization: `Token ${token} ` }],
    ['a tab', { 'x-api-key': `${token}\t` }],
    ['a double space', { authorization: `Token  ${token}` }],
    ['an unknown scheme', { authorization: `Basic ${token}` }],
    ['no scheme', { authorization: token }],
    ['a scheme alone', { authorization: 'Token ' }],
    ['a leading space', { authorization: ` Token ${token}` }],
    [
      'an empty API-key header next to Authorization',
      { authorization: `Token ${token}`, 'x-api-key': '' },
    ],
    [
      'two different tokens',
      { authorization: `Token ${token}`, 'x-api-key': `${token.slice(0, -1)}b` },
    ],
    ['an oversize value', { 'x-api-key': 'a'.repeat(200) }],
    ['foreign characters', { 'x-api-key': `${token.slice(0, -1)}é` }],
  ])('is malformed for %s', (_name, headers) => {
    expect(readCredential(headers)).toEqual({ kind: 'malformed' })
  })

  it('reads a lookup by name as it reads a record, Fetch Headers included', () => {
    const fetchHeaders = (init: [string, string][]) => {
      const headers = new Headers(init)
      return (name: string) => headers.get(name)
    }
    expect(readCredential(fetchHeaders([['Authorization', `Token ${token}`]]))).toEqual({
      kind: 'token',
      token,
    })
    expect(readCredential(fetchHeaders([]))).toEqual({ kind: 'missing' })
    // Headers joins a repeated header's values with ", ": refused like two header lines.
    const twice = fetchHeaders([
      ['authorization', `Token ${token}`],
      ['authorization', `Token ${token}`],
    ])
    expect(twice('authorization')).toBe(`Token ${token}, Token ${token}`)
    expect(readCredential(twice)).toEqual({ kind: 'malformed' })
    expect(
      readCredential(
        fetchHeaders([
          ['x-api-key', token],
          ['x-api-key', token],
        ]),
      ),
    ).toEqual({ kind: 'malformed' })
    expect(readCredential((name) => (name === 'x-api-key' ? [token, token] : null))).toEqual({
      kind: 'malformed',
    })
  })

  it('follows the configured schemes and header', () => {
    expect(readCredential({ 'x-key': token }, { apiKeyHeaders: ['X-Key'] })).toEqual({
      kind: 'token',
      token,
    })
    expect(readCredential({ 'x-api-key': token }, { apiKeyHeaders: [] })).toEqual({
      kind: 'missing',
    })
    expect(readCredential({ authorization: `Token ${token}` }, { schemes: ['Bearer'] })).toEqual({
      kind: 'malformed',
    })
  })

  it('reads any of the three NCP signature headers as a signature, a token beside them as two', () => {
    const signed = {
      'x-ncp-apigw-timestamp': '1732434834000',
      'x-ncp-iam-access-key': 'key_01JD8X3YQ0V6N2M4K7P9R1S3T5',
      'x-ncp-apigw-signature-v2': `${'a'.repeat(43)}=`,
    }
    expect(readCredential(signed)).toEqual({ kind: 'signature' })
    expect(readCredential({ 'x-ncp-apigw-timestamp': '1' })).toEqual({ kind: 'signature' })
    for (const extra of [
      { authorization: `Bearer ${token}` },
      { 'x-api-key': token },
      { 'x-ncp-apigw-api-key': token },
    ]) {
      expect(readCredential({ ...signed, ...extra })).toEqual({ kind: 'malformed' })
    }
    // A repeated signature header reads as '', which never verifies.
    const headers = signatureHeaders({ ...signed, 'x-ncp-apigw-timestamp': ['1', '2'] })
    expect(headers.get('x-ncp-apigw-timestamp')).toBe('')
    expect(headers.get('x-ncp-iam-access-key')).toBe(signed['x-ncp-iam-access-key'])
    expect(signatureHeaders({}).get('x-ncp-apigw-signature-v2')).toBeNull()
  })
})
