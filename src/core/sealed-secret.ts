import { KeycycleError } from './errors'
import type { Slot } from './types'

// A signing key's tokens are kept sealed (AES-256-GCM under a host-provided key-encryption key,
// KEK) beside their digests: verifying an HMAC signature needs the secret itself. This file
// holds what is pure about it — the option, the stored form, the additional authenticated data —
// and the service does the cipher with Web Crypto (`src/service/secret-sealer.ts`): the core
// names no ambient crypto.

/** Bytes of a key-encryption key: AES-256. */
export const KEK_BYTES = 32
/** Bytes of an AES-GCM nonce, random per sealing (from the service's injected random source). */
export const SEAL_IV_BYTES = 12

/** One key-encryption key and the ID sealed secrets record it by. */
export interface SecretEncryptionKey {
  /** 1–16 characters of `[a-z0-9_-]`, unique in the list. */
  id: string
  /** Exactly 32 bytes. */
  key: Uint8Array
}

/**
 * The `secretEncryption` option: the keys signing keys' tokens are sealed under. The first
 * is current (new sealings, re-sealings); the others still open what they sealed, until
 * `kc.secretEncryptionUsage()` says none is left.
 */
export interface SecretEncryptionOptions {
  keys: readonly SecretEncryptionKey[]
}

const KEK_ID = /^[a-z0-9_-]{1,16}$/

const refuse = (field: string, message: string) =>
  new KeycycleError('validation', `${field}: ${message}`, { details: { field } })

/**
 * The KEKs of a `secretEncryption` option, validated: a non-empty list of unique IDs with
 * 32-byte keys (copied). `undefined` gives none. Throws `validation` naming the entry.
 */
export function readSecretEncryption(option: unknown): SecretEncryptionKey[] {
  if (option === undefined) return []
  const keys = (option as { keys?: unknown } | null)?.keys
  if (!Array.isArray(keys) || keys.length === 0) {
    throw refuse('secretEncryption.keys', 'must be a non-empty list of { id, key }')
  }
  const seen = new Set<string>()
  return keys.map((entry: unknown, i) => {
    const { id, key } = (entry ?? {}) as { id?: unknown; key?: unknown }
    const field = `secretEncryption.keys[${i}]`
    if (typeof id !== 'string' || !KEK_ID.test(id) || seen.has(id)) {
      throw refuse(`${field}.id`, 'must be unique, 1–16 of [a-z0-9_-]')
    }
    seen.add(id)
    if (!(key instanceof Uint8Array) || key.length !== KEK_BYTES) {
      throw refuse(`${field}.key`, `must be exactly ${KEK_BYTES} bytes`)
    }
    return { id, key: key.slice() }
  })
}

/**
 * What a sealed secret is bound to: its key's ID and slot. A ciphertext copied onto another key's
 * record, or into the other slot, does not open (GCM's tag covers it). The current token and the
 * same slot's retiring one share it, so a rotation moves the sealed current token as it is.
 */
export function sealBinding(keyId: string, slot: Slot): string {
  return `keycycle:sealed:v1:${keyId}:${slot}`
}

/** A sealed secret as stored: `<kek id>$<base64url of IV ‖ ciphertext ‖ tag>`. */
export interface SealedParts {
  kekId: string
  iv: Uint8Array
  /** Ciphertext followed by the 16-byte tag, as Web Crypto answers it. */
  box: Uint8Array
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

function toBase64Url(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0)
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6))
    for (let c = 0; c < chars; c++) out += B64URL[(n >> (18 - 6 * c)) & 63]
  }
  return out
}

function fromBase64Url(text: string): Uint8Array | null {
  const out = new Uint8Array(Math.floor((text.length * 6) / 8))
  let buffer = 0
  let bits = 0
  let at = 0
  for (let i = 0; i < text.length; i++) {
    const value = B64URL.indexOf(text[i]!)
    if (value < 0) return null
    buffer = ((buffer << 6) | value) & 0xffffff
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[at++] = (buffer >> bits) & 0xff
    }
  }
  return out
}

/** The stored form of a sealing. */
export function formatSealed(parts: SealedParts): string {
  const joined = new Uint8Array(parts.iv.length + parts.box.length)
  joined.set(parts.iv)
  joined.set(parts.box, parts.iv.length)
  return `${parts.kekId}$${toBase64Url(joined)}`
}

/** A stored sealing's parts, or null when it is not one (then it opens nothing). */
export function parseSealed(sealed: string): SealedParts | null {
  const cut = sealed.indexOf('$')
  if (cut < 1) return null
  const bytes = fromBase64Url(sealed.slice(cut + 1))
  if (bytes === null || bytes.length <= SEAL_IV_BYTES + 16) return null
  return {
    kekId: sealed.slice(0, cut),
    iv: bytes.slice(0, SEAL_IV_BYTES),
    box: bytes.slice(SEAL_IV_BYTES),
  }
}

/** The ID of the KEK a stored sealing names (`''` when it names none). */
export function kekOf(sealed: string): string {
  const cut = sealed.indexOf('$')
  return cut < 1 ? '' : sealed.slice(0, cut)
}
