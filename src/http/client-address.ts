import { invalidInput } from '../core/errors'
import { type ClientIp, ipAllowed, parseClientIp, parseIpRules } from '../core/ip-rules'
import type { HeaderSource, TrustProxy } from './http-types'

/**
 * The client's address of one request, from the connection's peer (as the host gives it) and
 * the headers; undefined when it cannot be told (no peer, or a forwarded entry that is not an
 * address), so a key with `allowedIps` is refused rather than matched against a guess.
 */
export type ClientAddressReader = (
  peer: string | null | undefined,
  headers: HeaderSource,
) => string | undefined

const MAX_HOPS = 32

// Parsed addresses by text, bounded: a host sees the same few peers and proxies on every request,
// and parsing one costs more than the rest of reading it.
const MEMO_SIZE = 1024
const parsed = new Map<string, ClientIp | null>()

const valid = (text: string | null | undefined): ClientIp | null => {
  if (text === undefined || text === null) return null
  let ip = parsed.get(text)
  if (ip === undefined) {
    try {
      ip = parseClientIp(text)
    } catch {
      ip = null
    }
    if (parsed.size >= MEMO_SIZE) parsed.clear()
    parsed.set(text, ip)
  }
  return ip
}

// Every address `X-Forwarded-For` lists, leftmost (the original client) first, over every line
// the header was sent on, in order. Entries are trimmed; anything else is the parser's to judge.
function forwardedFor(headers: HeaderSource): string[] {
  const value =
    typeof headers === 'function' ? headers('x-forwarded-for') : headers['x-forwarded-for']
  if (value === undefined || value === null) return []
  const lines = typeof value === 'string' ? [value] : value
  return lines.flatMap((line) => line.split(',').map((entry) => entry.trim()))
}

/**
 * Prepares a reader of clients' addresses under `trustProxy` (read once, here; `validation`
 * for a hop count that is not an integer from 0 to 32 or a list that is not addresses and
 * blocks). With a hop count n, the address is the one n entries back from the peer in the
 * chain `X-Forwarded-For, peer` (the leftmost when the chain is shorter). With a list, entries
 * are walked back from the peer while they are trusted proxies; the first that is not is the
 * client (the leftmost when all are). Without `trustProxy`, the peer.
 */
export function clientAddressReader(trustProxy?: TrustProxy): ClientAddressReader {
  if (trustProxy === undefined || trustProxy === 0) return (peer) => valid(peer)?.address
  if (typeof trustProxy === 'number') {
    if (!Number.isInteger(trustProxy) || trustProxy < 0 || trustProxy > MAX_HOPS) {
      throw invalidInput('trustProxy', `must be an integer from 0 to ${MAX_HOPS}, or a list`)
    }
    return (peer, headers) => {
      const own = valid(peer)
      if (own === null) return undefined
      // The chain `X-Forwarded-For, peer`: the client is n entries back from the peer.
      const chain = forwardedFor(headers)
      chain.push(own.address)
      return valid(chain[Math.max(0, chain.length - 1 - trustProxy)])?.address
    }
  }
  const trusted = parseIpRules(trustProxy, 'trustProxy')
  return (peer, headers) => {
    let current = valid(peer)
    if (current === null || !ipAllowed(trusted, current)) return current?.address
    const chain = forwardedFor(headers)
    for (let i = chain.length - 1; i >= 0; i--) {
      const entry = valid(chain[i])
      if (entry === null) return undefined
      current = entry
      if (!ipAllowed(trusted, current)) return current.address
    }
    return current.address
  }
}
