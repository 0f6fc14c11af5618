import { KeycycleError } from '../core/errors'
import type { WebhookMessage, WebhookRefusal } from './webhook-types'

// What a signature format is, and the parsing both formats share. The formats import this
// file and formats.ts picks between them, so nothing imports back.

/** The signature headers of a delivery, as read before anything is verified. */
export interface SignedHeaders {
  /** The ID the headers carry (Standard Webhooks' `webhook-id`); null where the body has it. */
  id: string | null
  /** The signed time, unix seconds. */
  timestamp: number
  /** Every base64 signature offered; one matching is enough. */
  signatures: string[]
}

/** What one signature format decides; the signing and verifying code around it is shared. */
export interface WireFormat {
  /** The HMAC key a secret stands for; throws `validation` when the secret is malformed. */
  key(secret: string): Uint8Array
  /** Where a message for the config URL `url` is POSTed. */
  url(url: string, message: WebhookMessage): string
  /** The JSON body of a message. */
  body(message: WebhookMessage): unknown
  /** What is signed before the raw body. */
  signedPrefix(id: string, timestamp: number): string
  /** The headers that carry the ID, time and base64 signature. */
  headers(id: string, timestamp: number, signature: string): Record<string, string>
  /** Reads the signature headers by lower-case name, or says why they are unusable. */
  read(header: (name: string) => string | null): SignedHeaders | WebhookRefusal
  /** The deduplication ID of a signed body, or null when the body is not this format's shape. */
  idOf(body: unknown, headers: SignedHeaders): string | null
}

/** Unix seconds of an epoch-ms instant, as both formats' timestamps are written. */
export const unixSeconds = (ms: number): number => Math.floor(ms / 1000)

/** A plain JSON object (not an array, not null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A timestamp header: decimal digits only, as both formats write it. */
export function readTimestamp(text: string): number | null {
  return /^\d{1,12}$/.test(text) ? Number(text) : null
}

/** A config's URL, parsed; throws `validation` unless it is an absolute `http:` or `https:` URL. */
export function targetUrl(url: string): URL {
  let parsed: URL | null = null
  try {
    parsed = new URL(url)
  } catch {
    // refused below
  }
  if (parsed === null || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new KeycycleError('validation', 'url: must be an absolute http or https URL', {
      details: { field: 'url' },
    })
  }
  return parsed
}
