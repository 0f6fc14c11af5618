import {
  addressesRefusal,
  type DestinationRefusal,
  hostRefusal,
  type WebhookLookup,
} from './egress'
import { nodeNetworking, systemLookup } from './node-transport'
import { targetUrl } from './wire-format'

/** Options of {@link checkWebhookDestination}. */
export interface CheckWebhookDestinationOptions {
  /** Refuse nothing, as deliveries with the same option do. Default false. */
  allowPrivateDestinations?: boolean
  /** Resolves the URL's host name. Default `dns.lookup` where there is one, else no lookup. */
  lookup?: WebhookLookup
}

/**
 * Would a delivery to `url` be refused for its destination, as far as can be told now? For a
 * host that stores webhook URLs, to refuse one when it is saved (a 400) rather than at every
 * delivery. Resolves with the {@link DestinationRefusal} when the URL's host as written is
 * refused (an IP literal in any spelling, `localhost`), or when any address it resolves to is;
 * null otherwise, including for a name that does not resolve now (the lookup's failure is not a
 * refusal). Deliveries check again, on the address they connect to: a name whose DNS answer
 * changes after this check is refused then. Throws `validation` unless `url` is an absolute
 * `http:` or `https:` URL.
 *
 * @example
 * const refused = await checkWebhookDestination('http://169.254.169.254/latest/meta-data')
 * refused?.addressClass // 'linkLocal'
 */
export async function checkWebhookDestination(
  url: string,
  options: CheckWebhookDestinationOptions = {},
): Promise<DestinationRefusal | null> {
  const { hostname } = targetUrl(url)
  if (options.allowPrivateDestinations === true) return null
  const refused = hostRefusal(hostname)
  if (refused !== null) return refused
  const node = options.lookup === undefined ? nodeNetworking() : null
  const lookup = options.lookup ?? (node === null ? null : systemLookup(node.dns))
  if (lookup === null) return null
  const name = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname
  let addresses: readonly string[]
  try {
    addresses = await lookup(name)
  } catch {
    return null
  }
  return addressesRefusal(name, addresses)
}
