import { KeycycleError } from '../core/errors'
import { hostRefusal, WebhookDestinationError, type WebhookLookup } from './egress'
import { nodeNetworking, nodePost, systemLookup } from './node-transport'
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

/**
 * How a delivery is sent and where it may go: options of {@link sendWebhook} and
 * {@link webhookDelivery} alike.
 */
export interface WebhookTransportOptions {
  /** How long a delivery may take before it fails, in ms. Default 10 000. */
  timeoutMs?: number
  /**
   * Lets deliveries reach every address: loopback, private, link-local and the other classes
   * refused by default ({@link ForbiddenAddressClass}). For local development, tests, or a host
   * whose own egress proxy filters. Default false.
   */
  allowPrivateDestinations?: boolean
  /**
   * The host's own transport. With it, only the URL's host as written is checked (an IP literal
   * in any spelling, `localhost`): a host name's addresses, and where the transport connects,
   * are the host's to check. Default: on Node, node:http and node:https, which check the
   * address each delivery connects to; elsewhere the global `fetch` (host as written only).
   */
  fetch?: WebhookFetch
  /**
   * Resolves a URL's host name for the default Node transport, which connects only to an
   * address it returned and checked. Default `dns.lookup` (all addresses). Unused with `fetch`.
   */
  lookup?: WebhookLookup
}

/** Options of {@link sendWebhook}. */
export interface SendWebhookOptions extends SignWebhookOptions, WebhookTransportOptions {}

/** Default time a delivery may take, in ms. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000

const failed = (message: string, cause?: unknown) =>
  new KeycycleError('unavailable', `webhook delivery failed: ${message}`, { cause })

type Post = (url: string, init: WebhookFetchInit) => Promise<number>

const viaFetch =
  (post: WebhookFetch): Post =>
  async (url, init) => {
    const response = await post(url, init)
    // The body is not read; cancelling it frees the connection.
    await response.body?.cancel().catch(() => {})
    return response.status
  }

function transport(options: WebhookTransportOptions, allowPrivate: boolean): Post {
  if (options.fetch !== undefined) return viaFetch(options.fetch)
  const node = nodeNetworking()
  if (node === null) return viaFetch(globalThis.fetch as WebhookFetch)
  const lookup = options.lookup ?? systemLookup(node.dns)
  return (url, init) => nodePost(node, new URL(url), init, { lookup, allowPrivate })
}

/**
 * Signs `message` ({@link signWebhook}) and POSTs it to `target` once. Resolves with the
 * receiver's status when it is 2xx; rejects with `KeycycleError('unavailable')` on any other
 * status (redirects included, never followed), a network error, or no answer within
 * `timeoutMs` (the request is aborted). A rejection is worth retrying with the same message;
 * `webhookDelivery` leaves that to the event outbox. Misuse (a malformed ID, secret or URL)
 * rejects with `validation` before anything is sent.
 *
 * Unless `allowPrivateDestinations`, a destination that is, or resolves to, an address of a
 * {@link ForbiddenAddressClass} rejects with {@link WebhookDestinationError} (code `forbidden`)
 * and no connection is opened. The default Node transport checks every address the host name
 * resolves to and connects only to one it checked; with `fetch`, see {@link WebhookTransportOptions.fetch}.
 *
 * @example
 * // ricloud's test event, for a host's `POST /configs/webhook/{id}/test`.
 * await sendWebhook({
 *   format: 'ricloud',
 *   target: { url: config.url, secret: config.secret },
 *   message: { id: crypto.randomUUID(), type: 'webhook_config.test', at: Date.now(), data: { id: config.id } },
 * })
 */
export function sendWebhook(options: SendWebhookOptions): Promise<number> {
  return sendSigned(options)
}

/** {@link sendWebhook}, telling `onStatus` the receiver's status whatever it is (telemetry). */
export async function sendSigned(
  options: SendWebhookOptions,
  onStatus?: (status: number) => void,
): Promise<number> {
  const { url, headers, body } = await signWebhook(options)
  if (options.lookup !== undefined && typeof options.lookup !== 'function') {
    throw new KeycycleError('validation', 'lookup: must be a function', {
      details: { field: 'lookup' },
    })
  }
  const allowPrivate = options.allowPrivateDestinations === true
  const { host, hostname } = new URL(url)
  const refused = allowPrivate ? null : hostRefusal(hostname)
  if (refused !== null) throw new WebhookDestinationError(refused)
  const post = transport(options, allowPrivate)
  const timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS
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
    const status = await Promise.race([request, timeout])
    onStatus?.(status)
    if (status < 200 || status > 299) throw failed(`HTTP ${status} from ${host}`)
    return status
  } catch (error) {
    if (error instanceof KeycycleError) throw error
    throw failed(`${host}: ${error instanceof Error ? error.message : String(error)}`, error)
  } finally {
    clearTimeout(timer)
  }
}
