import { KeycycleError } from '../core/errors'
import { fromBase64 } from './hmac'
import type { StandardWebhookBody } from './webhook-types'
import { isObject, readTimestamp, targetUrl, type WireFormat } from './wire-format'

// Standard Webhooks 1.0 (spec/standard-webhooks.md of standard-webhooks/standard-webhooks): the
// signed content is "<webhook-id>.<webhook-timestamp>.<body>", the signature header a
// space-delimited list of "<version>,<base64>" of which only `v1` (HMAC-SHA256) is symmetric,
// and secrets are shown as `whsec_<base64>`. The reference libraries strip the prefix when
// present and base64-decode the rest; so do we, so a secret works the same on both ends.

const PREFIX = 'whsec_'

/** Standard Webhooks 1.0: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,…`. */
export const standardFormat: WireFormat = {
  key(secret) {
    const text = typeof secret === 'string' && secret.startsWith(PREFIX) ? secret.slice(6) : secret
    const key = typeof text === 'string' && text !== '' ? fromBase64(text) : null
    if (key === null || key.length === 0) {
      throw new KeycycleError('validation', 'secret: must be whsec_ followed by base64', {
        details: { field: 'secret' },
      })
    }
    return key
  },

  url: (url) => targetUrl(url).href,

  body: (message): StandardWebhookBody => ({
    type: message.type,
    timestamp: new Date(message.at).toISOString(),
    data: message.data,
  }),

  signedPrefix: (id, timestamp) => `${id}.${timestamp}.`,

  headers: (id, timestamp, signature) => ({
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${signature}`,
  }),

  read(header) {
    const id = header('webhook-id')
    const timestampText = header('webhook-timestamp')
    const signature = header('webhook-signature')
    if (id === null || timestampText === null || signature === null) return 'missing_header'
    const timestamp = readTimestamp(timestampText.trim())
    // An ID holding a '.' could shift what the signature covers; the specification forbids it.
    if (timestamp === null || id === '' || id.includes('.')) return 'malformed_header'
    const signatures = signature
      .split(' ')
      .filter((entry) => entry.startsWith('v1,'))
      .map((entry) => entry.slice(3))
    return { id, timestamp, signatures }
  },

  idOf(body, headers) {
    if (!isObject(body) || typeof body.type !== 'string' || typeof body.timestamp !== 'string') {
      return null
    }
    return headers.id
  },
}
