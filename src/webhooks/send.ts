import { KeycycleError } from '../core/errors'
import { type SignWebhookOptions, signWebhook } from './sign'

/** What a delivery passes to `fetch`. */
export interface WebhookFetchInit {
  method: 'POST'
  headers: Record<string, string>
  body: string
  signal: AbortSignal
  /** A redirect is a failed delivery (Standard Webhooks: update the URL instead). */
  redirect: 'manual'
}

/** The part of the Fetch API a delivery uses; the global `fetch` fits it. */
export type WebhookFetch = (
  url: string,
  init: WebhookFetchInit,
) => Promise<{ status: number; body?: { cancel(): Promise<void> } | null }>

/** Options of {@link sendWebhook}. */
export interface SendWebhookOptions extends SignWebhookOptions {
  /** How long a delivery may take before it fails, in ms. Default 10 000. */
  timeoutMs?: number
  /** Default the global `fetch`. */
  fetch?: WebhookFetch
}

/** Default time a delivery may take, in ms. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000

const failed = (message: string, cause?: unknown) =>
  new KeycycleError('unavailable', `webhook delivery failed: ${message}`, { cause })

/**
 * Signs `message` ({@link signWebhook}) and POSTs it to `target` once. Resolves with the
 * receiver's status when it is 2xx; rejects with `KeycycleError('unavailable')` on any other
 * status (redirects included, never followed), a network error, or no answer within
 * `timeoutMs` (the request is aborted). A rejection is worth retrying with the same message;
 * `webhookDelivery` leaves that to the event outbox. Misuse (a malformed ID, secret or URL)
 * rejects with `validation` before anything is sent.
 *
 * @example
 * // ricloud's test event, for a host's `POST /configs/webhook/{id}/test`.
 * await sendWebhook({
 *   format: 'ricloud',
 *   target: { url: config.url, secret: config.secret },
 *   message: { id: crypto.randomUUID(), type: 'webhook_config.test', at: Date.now(), data: { id: config.id } },
 * })
 */
export async function sendWebhook(options: SendWebhookOptions): Promise<number> {
  const { url, headers, body } = await signWebhook(options)
  const timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS
  const post = options.fetch ?? (globalThis.fetch as WebhookFetch)
  const host = new URL(url).host
  const controller = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  // A timer of our own as well as the signal, so a `fetch` that ignores the signal still fails.
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort()
      reject(failed(`no answer from ${host} within ${timeoutMs} ms`))
    }, timeoutMs)
  })
  try {
    const request = post(url, {
      method: 'POST',
      headers,
      body,
      signal: controller.signal,
      redirect: 'manual',
    })
    const response = await Promise.race([request, timeout])
    // The body is not read; cancelling it frees the connection.
    await response.body?.cancel().catch(() => {})
    if (response.status < 200 || response.status > 299) {
      throw failed(`HTTP ${response.status} from ${host}`)
    }
    return response.status
  } catch (error) {
    if (error instanceof KeycycleError) throw error
    throw failed(`${host}: ${error instanceof Error ? error.message : String(error)}`, error)
  } finally {
    clearTimeout(timer)
  }
}
