import { execFileSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { NOBLE_HASHES } from '../../src/core/digest'
import {
  readSignatureHeaders,
  signatureHex,
  signatureMatches,
  timestampFresh,
} from '../../src/core/request-signature'
import { SIGNATURE_WINDOW_MS, signingMessage } from '../../src/core/signed-request'
import { signRequest } from '../../src/sign'

// A fixed vector, computed outside keycycle by NCP's published algorithm: Python's hmac and
// base64 (and node:crypto's createHmac below), while keycycle/sign uses Web Crypto and the
// server @noble/hashes or node:crypto's HMAC through its own Base64 decoder.
const TOKEN = 'kc_01JD0000000000000000000000_abcdefghijabcdefghijabcdefghijabcdefghi123456'
const KEY_ID = 'key_01JD0000000000000000000000'
const TARGET = `/api/v1//api-keys/${KEY_ID}`
const AT = 1_732_480_000_000
const EXPECTED = 'mEMzhYkhQXELqIA4SR/QjS/r2oMjOJWdORKnbWLe/ro='

const nodeSignature = (secret: string, method: string, target: string, at: number, ak: string) =>
  createHmac('sha256', secret).update(`${method} ${target}\n${at}\n${ak}`).digest('base64')

const bytes = (text: string) => new TextEncoder().encode(text)

describe('NCP signature v2', () => {
  it('signs as Python and node:crypto do (keycycle/sign, Web Crypto)', async () => {
    const python = execFileSync('python3', [
      '-c',
      'import hmac,hashlib,base64,sys;print(base64.b64encode(hmac.new(sys.argv[1].encode(),sys.argv[2].encode(),hashlib.sha256).digest()).decode())',
      TOKEN,
      `PATCH ${TARGET}\n${AT}\n${KEY_ID}`,
    ])
      .toString()
      .trim()
    expect(python).toBe(EXPECTED)
    expect(nodeSignature(TOKEN, 'PATCH', TARGET, AT, KEY_ID)).toBe(EXPECTED)
    const headers = await signRequest({
      method: 'patch',
      target: TARGET,
      accessKey: KEY_ID,
      secretKey: TOKEN,
      timestamp: AT,
    })
    expect(headers).toEqual({
      'x-ncp-apigw-timestamp': String(AT),
      'x-ncp-iam-access-key': KEY_ID,
      'x-ncp-apigw-signature-v2': EXPECTED,
    })
  })

  it('verifies the vector, and nothing signed over another method, target, time or key', () => {
    const message = signingMessage('PATCH', TARGET, String(AT), KEY_ID)
    const hmac = NOBLE_HASHES.hmacSha256Hex
    const secret = bytes(TOKEN)
    const presented = signatureHex(EXPECTED)
    expect(presented).toBe(Buffer.from(EXPECTED, 'base64').toString('hex'))
    expect(signatureMatches(presented, message, [secret, null, null, null], hmac)).toBe(1)
    expect(signatureMatches(presented, message, [null, null, null, secret], hmac)).toBe(8)
    expect(signatureMatches(presented, message, [null, null, null, null], hmac)).toBe(0)
    expect(signatureMatches(null, message, [secret, null, null, null], hmac)).toBe(0)
    for (const other of [
      nodeSignature(TOKEN, 'GET', TARGET, AT, KEY_ID),
      nodeSignature(TOKEN, 'PATCH', `/api/v1/api-keys/${KEY_ID}`, AT, KEY_ID),
      nodeSignature(TOKEN, 'PATCH', TARGET, AT + 1, KEY_ID),
      nodeSignature(TOKEN, 'PATCH', TARGET, AT, 'key_01JD0000000000000000000001'),
      nodeSignature(`${TOKEN}x`, 'PATCH', TARGET, AT, KEY_ID),
    ]) {
      expect(
        signatureMatches(signatureHex(other), message, [secret, secret, secret, secret], hmac),
      ).toBe(0)
    }
  })

  it('reads only standard Base64 of 32 bytes', () => {
    expect(signatureHex(EXPECTED.replace('/', '-'))).toBeNull()
    expect(signatureHex(EXPECTED.replace('/', '_'))).toBeNull()
    expect(signatureHex(EXPECTED.slice(0, 43))).toBeNull()
    expect(signatureHex(`${EXPECTED.slice(0, 42)}p=`)).toBeNull() // non-zero trailing bits
    expect(signatureHex('')).toBeNull()
  })

  it('accepts a timestamp within 5 minutes either way, bounds included', () => {
    expect(SIGNATURE_WINDOW_MS).toBe(300_000)
    expect(timestampFresh(String(AT), AT)).toBe(true)
    expect(timestampFresh(String(AT - 300_000), AT)).toBe(true)
    expect(timestampFresh(String(AT + 300_000), AT)).toBe(true)
    expect(timestampFresh(String(AT - 300_001), AT)).toBe(false)
    expect(timestampFresh(String(AT + 300_001), AT)).toBe(false)
    for (const bad of ['', ' 1', '1e12', '-1', '1732480000000.0', '9'.repeat(17)]) {
      expect(timestampFresh(bad, AT), bad).toBe(false)
    }
  })

  it('tells a signed request from one that is not, and a partial one from both', () => {
    const from = (h: Record<string, string>) => readSignatureHeaders((name) => h[name])
    expect(from({ 'x-api-key': TOKEN })).toBeNull()
    expect(from({ 'x-ncp-iam-access-key': KEY_ID })).toEqual({
      timestamp: '',
      accessKey: KEY_ID,
      signature: '',
    })
  })
})
