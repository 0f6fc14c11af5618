// A stand-in for GitHub: a locally generated ECDSA P-256 key pair, reports signed as GitHub
// signs them (base64 of a DER signature over the raw body, SHA-256), and its key list.
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto'

export interface FakeGitHub {
  keyIdentifier: string
  publicPem: string
  sign(body: string | Uint8Array): string
}

export function fakeGitHub(keyIdentifier = 'a'.repeat(64)): FakeGitHub {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  return {
    keyIdentifier,
    publicPem: (publicKey as KeyObject).export({ type: 'spki', format: 'pem' }).toString(),
    sign: (body) => createSign('SHA256').update(body).sign(privateKey).toString('base64'),
  }
}

/** GitHub's key list as its API answers it. */
export function keyList(...keys: FakeGitHub[]) {
  return {
    public_keys: keys.map((k) => ({
      key_identifier: k.keyIdentifier,
      key: k.publicPem,
      is_current: true,
    })),
  }
}

/** The headers of a report `body` signed by `github` (or as given). */
export function signedHeaders(
  github: FakeGitHub,
  body: string,
  overrides: { identifier?: string; signature?: string } = {},
): Record<string, string> {
  return {
    'content-type': 'application/json',
    'github-public-key-identifier': overrides.identifier ?? github.keyIdentifier,
    'github-public-key-signature': overrides.signature ?? github.sign(body),
  }
}
