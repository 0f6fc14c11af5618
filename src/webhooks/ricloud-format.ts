import { KeycycleError } from '../core/errors'
import { eventUuid, isUuid } from './event-uuid'
import { utf8 } from './hmac'
import type { RicloudWebhookBody } from './webhook-types'
import { isObject, readTimestamp, targetUrl, type WireFormat } from './wire-format'

// ricloud's format as its own client reads it (ricloud-py `ricloud/webhooks.py` and
// `ricloud/signing.py`): the listener routes POST `/webhooks/<uuid:event_id>`, requires a JSON
// content type, splits `Ricloud-Signature` at its first comma into `t=` and `s=`, base64-decodes
// the signature and compares it with HMAC-SHA256(UTF-8 secret, "<t>.<raw body>"), and reads
// `type` and `action` from the body (`webhook_config.test` is its test event).

const HEADER = 'ricloud-signature'

/** `t=<digits>` then one or more `s=<base64>`, comma-separated. */
function readSignatureHeader(value: string) {
  let timestamp: number | null = null
  const signatures: string[] = []
  for (const part of value.split(',')) {
    const eq = part.indexOf('=')
    if (eq < 0) return null
    const name = part.slice(0, eq).trim()
    const text = part.slice(eq + 1).trim()
    if (name === 't') {
      if (timestamp !== null) return null
      timestamp = readTimestamp(text)
      if (timestamp === null) return null
    } else if (name === 's' && text !== '') {
      signatures.push(text)
    }
  }
  return timestamp === null || signatures.length === 0 ? null : { timestamp, signatures }
}

/** ricloud's format: `<url>/<uuid>`, `Ricloud-Signature: t=…,s=…`, ricloud's event body. */
export const ricloudFormat: WireFormat = {
  key(secret) {
    if (typeof secret !== 'string' || secret === '') {
      throw new KeycycleError('validation', 'secret: must be a non-empty string', {
        details: { field: 'secret' },
      })
    }
    return utf8(secret)
  },

  // `<url>/<uuid>`, the query string (if any) kept after the path.
  url(url, message) {
    const target = targetUrl(url)
    target.pathname = `${target.pathname.replace(/\/+$/, '')}/${eventUuid(message.id)}`
    return target.href
  },

  body(message): RicloudWebhookBody {
    const dot = message.type.indexOf('.')
    return {
      id: eventUuid(message.id),
      resource: 'event',
      type: dot < 0 ? message.type : message.type.slice(0, dot),
      action: dot < 0 ? '' : message.type.slice(dot + 1),
      data: message.data,
      date_created: new Date(message.at).toISOString(),
    }
  },

  signedPrefix: (_id, timestamp) => `${timestamp}.`,

  headers: (_id, timestamp, signature) => ({
    'Ricloud-Signature': `t=${timestamp},s=${signature}`,
  }),

  read(header) {
    const value = header(HEADER)
    if (value === null) return 'missing_header'
    const parsed = readSignatureHeader(value)
    return parsed === null ? 'malformed_header' : { id: null, ...parsed }
  },

  idOf(body) {
    if (!isObject(body) || body.resource !== 'event') return null
    const { id, type, action, date_created } = body
    const strings = [type, action, date_created].every((v) => typeof v === 'string')
    return strings && typeof id === 'string' && isUuid(id) ? id : null
  },
}
