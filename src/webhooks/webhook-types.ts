/**
 * The two signature formats `keycycle/webhooks` speaks:
 *
 * - `'ricloud'`: ricloud's own (`docs/events-and-webhooks.md#webhooks`). POST to `<url>/<event id as a UUID>`, header
 *   `Ricloud-Signature: t=<unix seconds>,s=<base64 HMAC-SHA256(secret, "<t>.<body>")>`, body
 *   `{ id, resource: "event", type, action, data, date_created }`. The secret's UTF-8 bytes are
 *   the HMAC key.
 * - `'standard'`: Standard Webhooks 1.0 (https://www.standardwebhooks.com). POST to `<url>`,
 *   headers `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256(key,
 *   "<id>.<t>.<body>")>`, body `{ type, timestamp, data }`. The secret is `whsec_<base64>` (the
 *   prefix optional, as in the reference libraries) and its decoded bytes are the HMAC key.
 */
export type WebhookFormat = 'ricloud' | 'standard'

/** Where one webhook config delivers: its URL and its signing secret. */
export interface WebhookTarget {
  /** An absolute `http:` or `https:` URL. */
  url: string
  /** The signing secret; see {@link WebhookFormat} for how each format reads it. */
  secret: string
}

/**
 * One message to deliver, in neither format yet. Events become messages with
 * {@link eventMessage}; a host may send its own (such as ricloud's `webhook_config.test`).
 */
export interface WebhookMessage {
  /**
   * `evt_` + ULID (an event's ID), or a UUID. Stable across redeliveries: receivers deduplicate
   * on it. The ricloud format sends it as a UUID ({@link eventUuid}); Standard Webhooks as is.
   */
  id: string
  /** `<resource>.<action>`, e.g. `key.rotated` (ricloud splits it at the first dot). */
  type: string
  /** Epoch ms the message is about (an event's commit time). */
  at: number
  /** The JSON payload: for events, the key or organisation in the ricloud wire format. */
  data: unknown
}

/** The body of a ricloud-format delivery. */
export interface RicloudWebhookBody {
  /** The message ID as a UUID. */
  id: string
  resource: 'event'
  /** The part of the message type before the first dot: `key`, `organisation`, … */
  type: string
  /** The part after it: `rotated`, `created`, … */
  action: string
  data: unknown
  /** ISO 8601 time of the event. */
  date_created: string
}

/** The body of a Standard Webhooks delivery (the specification's recommended shape). */
export interface StandardWebhookBody {
  /** The full dotted type: `key.rotated`. */
  type: string
  /** ISO 8601 time of the event. */
  timestamp: string
  data: unknown
}

/** The body each format delivers. */
export type WebhookBody<F extends WebhookFormat> = F extends 'ricloud'
  ? RicloudWebhookBody
  : StandardWebhookBody

/** Why {@link verifyWebhook} refused a delivery. */
export type WebhookRefusal =
  /** A signature header (or, for Standard Webhooks, `webhook-id`/`webhook-timestamp`) is absent. */
  | 'missing_header'
  /** A header is present but not in its format's syntax. */
  | 'malformed_header'
  /** No signature in the header matches the body under this secret. */
  | 'bad_signature'
  /** Signed, but the timestamp is older than the tolerance: a replay, or a very late retry. */
  | 'stale'
  /** Signed, but the timestamp is further in the future than the tolerance. */
  | 'future'
  /** Signed, but the body is not the JSON object its format describes. */
  | 'malformed_body'

/**
 * The outcome of {@link verifyWebhook}: a value either way, never a throw for a bad delivery.
 * On success, `id` is the delivery's deduplication ID (the `webhook-id` header, or the ricloud
 * body's UUID `id`) and `timestamp` the signed time in epoch ms.
 */
export type WebhookVerification<F extends WebhookFormat = WebhookFormat> =
  | { ok: true; id: string; timestamp: number; event: WebhookBody<F> }
  | { ok: false; reason: WebhookRefusal }
