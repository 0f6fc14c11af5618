import { KeycycleError } from '../core/errors'
import type { ConfigId } from '../core/types'
import { presentKey, presentOrganisation } from '../http/wire-out'
import type { KeycycleEvent } from '../service/events'
import { consoleLogger } from '../service/logger'
import type { KeycycleOptions } from '../service/options'
import { Telemetry, type TelemetrySetting } from '../service/telemetry/telemetry'
import { wireFormat } from './formats'
import { type SendWebhookOptions, sendSigned, type WebhookTransportOptions } from './send'
import type { WebhookFormat, WebhookMessage, WebhookTarget } from './webhook-types'

/** Options of {@link webhookDelivery}; the transport's are {@link WebhookTransportOptions}. */
export interface WebhookDeliveryOptions extends WebhookTransportOptions {
  /**
   * Where an event's effective `webhook_config` delivers: its URL and secret, or null when the
   * config is unknown or disabled (the event is then done, not retried). A throw fails the
   * delivery, which the outbox retries. Receives the event too, e.g. to check that the config
   * belongs to the event's organisation.
   */
  resolve: (
    configId: ConfigId,
    event: KeycycleEvent,
  ) => WebhookTarget | null | Promise<WebhookTarget | null>
  format: WebhookFormat
  /** Epoch ms now, for the signature's timestamp. Default `Date.now()`. */
  now?: () => number
  /**
   * A `keycycle.webhook.send` span per POST (status, attempt, the receiver's host; never the
   * URL's path or the secret), as `createKeycycle`'s option of that name: `true` for the
   * global providers, or the host's `tracerProvider`. Default: off.
   */
  telemetry?: KeycycleOptions['telemetry']
}

/**
 * An event as a webhook message: its ID, type and time, and as `data` the key (or, for
 * `organisation.*`, the organisation) in the ricloud wire format, as the management API shows
 * it (`presentKey`): never a token, since events never carry one. A `key.leaked` message's key
 * also carries `leak`: `{ slot, which, outcome, url, source }` (where the token was found and
 * what was done; see `KeycycleEvent`); a `key.revealed` message's key carries `reveal`:
 * `{ slot, by }` (the admin's ID).
 */
export function eventMessage(event: KeycycleEvent): WebhookMessage {
  if (event.type === 'key.leaked') {
    const { slot, which, outcome, url, source } = event
    const data = { ...presentKey(event.key), leak: { slot, which, outcome, url, source } }
    return { id: event.id, type: event.type, at: event.at, data }
  }
  if (event.type === 'key.revealed') {
    const data = {
      ...presentKey(event.key),
      reveal: { slot: event.slot, by: 'id' in event.actor ? event.actor.id : null },
    }
    return { id: event.id, type: event.type, at: event.at, data }
  }
  const data = 'key' in event ? presentKey(event.key) : presentOrganisation(event.organisation)
  return { id: event.id, type: event.type, at: event.at, data }
}

/**
 * A ready `onEvent` for `createKeycycle` that POSTs every event, signed in `format`, to its
 * effective webhook config (`resolve(event.webhookConfig)`). It resolves once the receiver
 * answered 2xx, and at once when there is nothing to deliver (no `webhookConfig`, or `resolve`
 * gives null). It rejects on any other answer, a network error, no answer within `timeoutMs`,
 * or a destination refused for its address (`WebhookDestinationError`, unless
 * `allowPrivateDestinations`; see `sendWebhook`): the durable outbox then retries the event
 * later with backoff, with the same `id` (and so the same ricloud UUID), signed afresh. Keep `timeoutMs` below the dispatcher's
 * `deliveryTimeoutMs` (30 s by default). Throws `validation` at once for an unknown format or
 * a `resolve` that is not a function.
 *
 * @example
 * const kc = createKeycycle({
 *   store,
 *   onEvent: webhookDelivery({
 *     format: 'ricloud',
 *     resolve: async (id) => (await db.webhookConfig(id)) ?? null, // { url, secret } | null
 *   }),
 * })
 */
export function webhookDelivery(
  options: WebhookDeliveryOptions,
): (event: KeycycleEvent, delivery?: { attempt: number }) => Promise<void> {
  const { resolve, telemetry, ...send } = options
  // Misuse fails here, at start-up, rather than as every event's retried delivery.
  wireFormat(send.format)
  if (typeof resolve !== 'function') {
    throw new KeycycleError('validation', 'resolve: must be a function', {
      details: { field: 'resolve' },
    })
  }
  const base: Omit<SendWebhookOptions, 'target' | 'message'> = send
  const post: Post = (target, event, onStatus) =>
    sendSigned({ ...base, target, message: eventMessage(event) }, onStatus)
  const traced = telemetry
    ? tracedPost((telemetry === true ? {} : telemetry) as TelemetrySetting, send.format)
    : null
  return async (event, delivery) => {
    if (event.webhookConfig === null) return
    const target = await resolve(event.webhookConfig, event)
    if (target === null) return
    if (traced) await traced(target, event, delivery?.attempt ?? 1, post)
    else await post(target, event)
  }
}

type Post = (
  target: WebhookTarget,
  event: KeycycleEvent,
  onStatus?: (status: number) => void,
) => Promise<number>

// The `keycycle.webhook.send` span: HTTP client conventions where they exist.
function tracedPost(setting: TelemetrySetting, format: WebhookFormat) {
  const telemetry = new Telemetry(setting, consoleLogger)
  return telemetry.choose(
    (target: WebhookTarget, event: KeycycleEvent, _attempt: number, post: Post) =>
      post(target, event),
    async (ins, target, event, attempt, post) => {
      if (!ins.tracing()) return post(target, event)
      const span = ins.tracer.startSpan('keycycle.webhook.send', {
        kind: ins.api.SpanKind.CLIENT,
        attributes: {
          'http.request.method': 'POST',
          'server.address': new URL(target.url).hostname,
          'keycycle.webhook.format': format,
          'keycycle.webhook.attempt': attempt,
          'keycycle.event.type': event.type,
        },
      })
      try {
        const status = await post(target, event, (code) =>
          span.setAttribute('http.response.status_code', code),
        )
        span.end()
        return status
      } catch (error) {
        ins.fail(span, error)
        throw error
      }
    },
  )
}
