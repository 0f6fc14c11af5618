import type * as Dns from 'node:dns'
import type * as Http from 'node:http'
import type * as Https from 'node:https'
import type { LookupFunction, Socket } from 'node:net'
import { addressesRefusal, WebhookDestinationError, type WebhookLookup } from './egress'

/** The Node modules the default transport uses. */
export interface NodeNetworking {
  http: typeof Http
  https: typeof Https
  dns: typeof Dns
}

type ProcessWithBuiltins = { getBuiltinModule?: (id: string) => unknown }

/**
 * node:http, node:https and node:dns where the runtime has them (Node ≥ 20.16), else null.
 * They are looked up at run time, not imported, so keycycle/webhooks names no Node module and
 * still loads where only the Fetch API is.
 */
export function nodeNetworking(): NodeNetworking | null {
  const proc = (globalThis as { process?: ProcessWithBuiltins }).process
  if (typeof proc?.getBuiltinModule !== 'function') return null
  const http = proc.getBuiltinModule('http') as typeof Http | undefined
  const https = proc.getBuiltinModule('https') as typeof Https | undefined
  const dns = proc.getBuiltinModule('dns') as typeof Dns | undefined
  return http && https && dns ? { http, https, dns } : null
}

/** The system resolver, as Node's own connections use it (`dns.lookup`: /etc/hosts, then DNS). */
export function systemLookup(dns: typeof Dns): WebhookLookup {
  return async (hostname) =>
    (await dns.promises.lookup(hostname, { all: true })).map((entry) => entry.address)
}

const familyOf = (address: string) => (address.includes(':') ? 6 : 4)

interface LookupEntry {
  address: string
  family: number
}

// What a checked lookup hands Node: the addresses of `family` (0 for any), or a refusal of the
// whole name when any address is of a refused class.
function checked(
  hostname: string,
  addresses: readonly string[],
  family: number,
  allowPrivate: boolean,
): LookupEntry[] {
  const refused = allowPrivate ? null : addressesRefusal(hostname, addresses)
  if (refused !== null) throw new WebhookDestinationError(refused)
  const entries = addresses
    .map((address) => ({ address, family: familyOf(address) }))
    .filter((entry) => family === 0 || entry.family === family)
  if (entries.length === 0) {
    throw Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' })
  }
  return entries
}

// Node's `lookup` hook for a connection: resolves with `lookup` and hands Node only addresses
// checked, so the socket connects to an address this function saw (one resolution: nothing can
// change between the check and the connect). Node calls it for host names only, never for an
// IP literal.
function checkedLookup(lookup: WebhookLookup, allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family
    Promise.resolve()
      .then(() => lookup(hostname))
      .then((addresses) => checked(hostname, addresses, family ?? 0, allowPrivate))
      .then(
        (entries) => {
          const [first] = entries as [LookupEntry]
          if (options.all) callback(null, entries)
          else callback(null, first.address, first.family)
        },
        (error: NodeJS.ErrnoException) => callback(error, ''),
      )
  }
}

// The last check, on the address the socket actually reached, before a byte is written (it
// runs ahead of the request's own 'connect' listener). With the checked lookup and the literal
// check before the request it never refuses on Node; it is there for a runtime whose node:http
// ignores `lookup`, and refuses a socket that cannot say where it is connected.
function checkConnectedAddress(socket: Socket, hostname: string): void {
  const check = () => {
    const refused = addressesRefusal(
      hostname,
      [socket.remoteAddress ?? '(unknown)'],
      'connected to',
    )
    if (refused !== null) socket.destroy(new WebhookDestinationError(refused))
  }
  if (socket.connecting) socket.prependOnceListener('connect', check)
  else check()
}

/** What {@link nodePost} sends. */
export interface NodePostInit {
  headers: Record<string, string>
  body: string
  signal: AbortSignal
}

/**
 * POSTs `init.body` to `url` with node:http or node:https on a connection of its own (no pooled
 * socket, whose address was checked for another request), resolving `url`'s host with
 * `lookup` and connecting only to an address checked (unless `allowPrivate`). The TLS server
 * name and the Host header are `url`'s host. Resolves with the status as soon as the response
 * head arrives (the body is not read; the connection is closed). A redirect is a status like
 * any other, never followed. Rejects with `WebhookDestinationError` for a refused address, or
 * with the network error. The URL's host as written must have been checked by the caller.
 */
export function nodePost(
  node: NodeNetworking,
  url: URL,
  init: NodePostInit,
  policy: { lookup: WebhookLookup; allowPrivate: boolean },
): Promise<number> {
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname
  const body = new TextEncoder().encode(init.body)
  const client = url.protocol === 'https:' ? node.https : node.http
  return new Promise((resolve, reject) => {
    const request = client.request({
      protocol: url.protocol,
      hostname,
      port: url.port === '' ? undefined : Number(url.port),
      path: `${url.pathname}${url.search}`,
      method: 'POST',
      headers: { ...init.headers, 'Content-Length': String(body.byteLength) },
      agent: false,
      signal: init.signal,
      lookup: checkedLookup(policy.lookup, policy.allowPrivate),
    })
    if (!policy.allowPrivate) {
      request.once('socket', (socket) => checkConnectedAddress(socket, hostname))
    }
    request.once('response', (response) => {
      resolve(response.statusCode ?? 0)
      response.destroy()
    })
    request.on('error', reject)
    request.end(body)
  })
}
