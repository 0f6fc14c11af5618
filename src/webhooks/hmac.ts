import { KeycycleError } from '../core/errors'

// Web Crypto, btoa and atob only: keycycle/webhooks must load on fetch runtimes (Workers, Deno,
// Bun) as well as Node, so nothing here may name a Node builtin.

const encoder = new TextEncoder()

/** The UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text)
}

/** Standard base64 (with padding) of bytes. */
export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/** Decodes standard base64; null when the text is not base64. */
export function fromBase64(text: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0))
  } catch {
    return null
  }
}

/** `prefix` (as UTF-8) followed by `body`'s bytes: the signed content, without a string copy. */
export function joinBytes(prefix: string, body: string | Uint8Array): Uint8Array {
  const head = utf8(prefix)
  const tail = typeof body === 'string' ? utf8(body) : body
  const out = new Uint8Array(head.length + tail.length)
  out.set(head)
  out.set(tail, head.length)
  return out
}

/**
 * Base64 HMAC-SHA256 of `message` under `key`. Throws `validation` for an empty key, which
 * Web Crypto refuses and which would sign nothing worth verifying.
 */
export async function hmacSha256Base64(key: Uint8Array, message: Uint8Array): Promise<string> {
  if (key.length === 0) {
    throw new KeycycleError('validation', 'secret: must not be empty', {
      details: { field: 'secret' },
    })
  }
  const cryptoKey = await globalThis.crypto.subtle.importKey(
    'raw',
    key,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  return toBase64(new Uint8Array(await globalThis.crypto.subtle.sign('HMAC', cryptoKey, message)))
}
