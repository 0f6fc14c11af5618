import { digestsEqual } from '../core/digest'
import { KeycycleError } from '../core/errors'
import { wireFormat } from './formats'
import { hmacSha256Base64, joinBytes } from './hmac'
import type { WebhookBody, WebhookFormat, WebhookVerification } from './webhook-types'
import { unixSeconds } from './wire-format'

/** Headers as a receiver has them: Fetch `Headers`, or Node's `req.headers` record. */
export type WebhookHeaders =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>

/** Options of {@link verifyWebhook}. */
export interface VerifyWebhookOptions<F extends WebhookFormat = WebhookFormat> {
  format: F
  /** The webhook config's secret, as the sender was given it. */
  secret: string
  /** The request's headers; names are matched case-insensitively. */
  headers: WebhookHeaders
  /**
   * The raw request body, exactly as received (a string, or the bytes). Never a body parsed and
   * serialised again: the signature covers the exact characters.
   */
  body: string | Uint8Array
  /** How far the signed time may be from now, either way, in seconds. Default 300. */
  toleranceSec?: number
  /** Epoch ms now. Default `Date.now()`. */
  now?: () => number
}

const DEFAULT_TOLERANCE_SEC = 300

const misuse = (field: string, message: string) =>
  new KeycycleError('validation', `${field}: ${message}`, { details: { field } })

function headerLookup(headers: WebhookHeaders): (name: string) => string | null {
  if (typeof headers.get === 'function') {
    const get = headers.get as (name: string) => string | null
    return (name) => get.call(headers, name)
  }
  const record = headers as Record<string, string | string[] | undefined>
  return (name) => {
    for (const [key, value] of Object.entries(record)) {
      if (key.toLowerCase() !== name || value === undefined) continue
      // Repeated values joined as Fetch's `Headers.get` joins them, so both inputs read alike.
      return Array.isArray(value) ? value.join(', ') : value
    }
    return null
  }
}

/**
 * Verifies a webhook delivery in a receiver: a signature in the header must be the HMAC of the
 * raw body under `secret` (compared in constant time; any one of several offered signatures may
 * match, as Standard Webhooks sends during secret rotation), its timestamp within
 * `toleranceSec` of now in either direction (a replayed or pre-dated delivery is refused), and
 * the body its format's JSON object.
 *
 * A bad delivery is a value, `{ ok: false, reason }` (answer it 400 and expect no retry to fix
 * it); only misuse throws: `KeycycleError('validation')` for an unknown format, a missing or
 * malformed secret, a body that is neither a string nor bytes, or a negative tolerance.
 * Deduplicate on the returned `id`: the sender may deliver an event more than once.
 *
 * @example
 * // Express: keep the raw body for verification.
 * app.post('/webhooks/:id', express.text({ type: 'application/json' }), async (req, res) => {
 *   const result = await verifyWebhook({ format: 'ricloud', secret, headers: req.headers, body: req.body })
 *   if (!result.ok) return res.status(400).send(result.reason)
 *   console.log(result.event.type, result.event.action, result.event.data)
 *   res.sendStatus(200)
 * })
 */
export async function verifyWebhook<F extends WebhookFormat>(
  options: VerifyWebhookOptions<F>,
): Promise<WebhookVerification<F>> {
  const format = wireFormat(options.format)
  const key = format.key(options.secret)
  const { body } = options
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
    throw misuse('body', 'must be the raw body, a string or bytes')
  }
  const tolerance = options.toleranceSec ?? DEFAULT_TOLERANCE_SEC
  if (!(tolerance >= 0)) throw misuse('toleranceSec', 'must be a non-negative number')

  const signed = format.read(headerLookup(options.headers))
  if (typeof signed === 'string') return { ok: false, reason: signed }
  const expected = await hmacSha256Base64(
    key,
    joinBytes(format.signedPrefix(signed.id ?? '', signed.timestamp), body),
  )
  if (!signed.signatures.some((offered) => digestsEqual(offered, expected))) {
    return { ok: false, reason: 'bad_signature' }
  }
  const now = unixSeconds((options.now ?? Date.now)())
  if (now - signed.timestamp > tolerance) return { ok: false, reason: 'stale' }
  if (signed.timestamp - now > tolerance) return { ok: false, reason: 'future' }

  let event: unknown
  try {
    const text =
      typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body)
    event = JSON.parse(text)
  } catch {
    return { ok: false, reason: 'malformed_body' }
  }
  const id = format.idOf(event, signed)
  if (id === null) return { ok: false, reason: 'malformed_body' }
  return {
    ok: true,
    id,
    timestamp: signed.timestamp * 1000,
    event: event as WebhookBody<F>,
  }
}
