import { eventUuid } from './event-uuid'
import { wireFormat } from './formats'
import { hmacSha256Base64, joinBytes } from './hmac'
import type { WebhookFormat, WebhookMessage, WebhookTarget } from './webhook-types'
import { unixSeconds } from './wire-format'

/** Options of {@link signWebhook}. */
export interface SignWebhookOptions {
  format: WebhookFormat
  target: WebhookTarget
  message: WebhookMessage
  /** Epoch ms of the attempt, signed as its timestamp. Default `Date.now()`. */
  now?: () => number
}

/** A signed delivery, ready to POST: the exact body the signature covers, and its headers. */
export interface SignedWebhook {
  /** The URL to POST to (ricloud's format appends the message's UUID to the config URL). */
  url: string
  /** Content type and signature headers. */
  headers: Record<string, string>
  /** The raw JSON body; send these exact characters, since the signature covers them. */
  body: string
}

/**
 * Builds one signed delivery of `message` to `target` in `format`, without sending it (for a
 * host with its own HTTP client or queue; {@link sendWebhook} sends it). Each attempt is
 * signed afresh with the attempt's time, so a retry is not refused as stale; the ID and body
 * stay the same.
 *
 * Throws `validation` for a malformed message ID (neither `evt_` + ULID nor a UUID), a secret
 * the format cannot use, or a URL that does not parse.
 *
 * @example
 * const { url, headers, body } = await signWebhook({
 *   format: 'standard',
 *   target: { url: 'https://example.com/hooks', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
 *   message: { id: 'evt_01ARZ3NDEKTSV4RRFFQ69G5FAV', type: 'key.rotated', at: Date.now(), data: {} },
 * })
 */
export async function signWebhook(options: SignWebhookOptions): Promise<SignedWebhook> {
  const { target, message } = options
  const format = wireFormat(options.format)
  // Validates the ID: `evt_` + ULID or a UUID, so never a '.' that could shift the signed content.
  eventUuid(message.id)
  const key = format.key(target.secret)
  const url = format.url(target.url, message)
  const body = JSON.stringify(format.body(message))
  const timestamp = unixSeconds((options.now ?? Date.now)())
  const signature = await hmacSha256Base64(
    key,
    joinBytes(format.signedPrefix(message.id, timestamp), body),
  )
  return {
    url,
    headers: {
      'Content-Type': 'application/json',
      ...format.headers(message.id, timestamp, signature),
    },
    body,
  }
}
