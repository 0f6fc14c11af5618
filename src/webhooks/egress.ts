import ipaddr from 'ipaddr.js'
import { KeycycleError } from '../core/errors'

type IPv4 = ipaddr.IPv4
type IPv6 = ipaddr.IPv6

/**
 * Why a webhook destination address is refused (docs/events-and-webhooks.md#where-deliveries-may-go):
 * - `loopback`: 127.0.0.0/8, ::1, and the names `localhost` and `*.localhost`
 * - `private`: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 (RFC 1918), and IPv6 site-local fec0::/10
 * - `linkLocal`: 169.254.0.0/16 (where cloud metadata services answer, 169.254.169.254), fe80::/10
 * - `uniqueLocal`: fc00::/7
 * - `carrierGradeNat`: 100.64.0.0/10
 * - `unspecified`: 0.0.0.0/8, ::
 * - `multicast`: 224.0.0.0/4, ff00::/8
 * - `broadcast`: 255.255.255.255
 * - `reserved`: every other special-purpose block (documentation, benchmarking, 240.0.0.0/4,
 *   192.0.0.0/24, AS112, AMT, discard, ORCHID, Teredo, 6to4, local-use NAT64 64:ff9b:1::/48,
 *   IPv6 outside 2000::/3) and any block ipaddr.js names that is not listed here
 *
 * An IPv6 address carrying an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
 * `::a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4
 * `2002:AABB:CCDD::`) has its IPv4 address's class when that one is refused.
 */
export type ForbiddenAddressClass =
  | 'loopback'
  | 'private'
  | 'linkLocal'
  | 'uniqueLocal'
  | 'carrierGradeNat'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved'

/** A refused destination: what the URL named, the address refused, its class, and a sentence. */
export interface DestinationRefusal {
  /** The URL's host name as written (brackets removed from an IPv6 literal). */
  readonly hostname: string
  /** The refused address, canonical; the host name itself for a `localhost` name. */
  readonly address: string
  readonly addressClass: ForbiddenAddressClass
  /** Names the host, the address and its class; never the URL's path, query or user info. */
  readonly message: string
}

/**
 * Resolves a host name to its addresses (IPv4 or IPv6 text), as `dns.lookup(name, { all: true })`
 * does; every address is checked before one is connected to. A rejection fails the delivery.
 */
export type WebhookLookup = (hostname: string) => Promise<readonly string[]>

// Longer text is not an address (the longest IPv6 text is 45 characters, plus a zone); it is
// refused before ipaddr.js's regular expressions see it.
const MAX_ADDRESS_TEXT = 64

const IPV4_CLASSES: Partial<Record<string, ForbiddenAddressClass>> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'linkLocal',
  loopback: 'loopback',
  carrierGradeNat: 'carrierGradeNat',
  private: 'private',
}

const IPV6_CLASSES: Partial<Record<string, ForbiddenAddressClass>> = {
  unspecified: 'unspecified',
  linkLocal: 'linkLocal',
  multicast: 'multicast',
  loopback: 'loopback',
  uniqueLocal: 'uniqueLocal',
  deprecatedSiteLocal: 'private',
}

const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3')
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96')

/** The IPv4 address in `parts[at]` and `parts[at + 1]` of an IPv6 address. */
const embedded = (ip: IPv6, at: number) => {
  const high = ip.parts[at] ?? 0
  const low = ip.parts[at + 1] ?? 0
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff])
}

// Allowed means ipaddr.js's `unicast` (in no special block) and, for IPv6, inside 2000::/3. A
// block it names that this file does not know is refused as `reserved`: fail closed.
function classOf(ip: IPv4 | IPv6): ForbiddenAddressClass | null {
  if (ip.kind() === 'ipv4') {
    const range = (ip as IPv4).range()
    return range === 'unicast' ? null : (IPV4_CLASSES[range] ?? 'reserved')
  }
  const v6 = ip as IPv6
  const range = v6.range()
  switch (range) {
    case 'ipv4Mapped':
      return classOf(v6.toIPv4Address())
    case 'rfc6052':
      // A NAT64 address of a public IPv4 address is how an IPv6-only network reaches it.
      return v6.match(NAT64_WELL_KNOWN) ? classOf(embedded(v6, 6)) : 'reserved'
    case 'rfc6145':
      return classOf(embedded(v6, 6)) ?? 'reserved'
    case '6to4':
      return classOf(embedded(v6, 1)) ?? 'reserved'
    case 'unicast':
      // ::a.b.c.d, IPv4-compatible (deprecated): ipaddr.js calls it unicast.
      if (v6.parts.slice(0, 6).every((part) => part === 0)) {
        return classOf(embedded(v6, 6)) ?? 'reserved'
      }
      return v6.match(GLOBAL_UNICAST) ? null : 'reserved'
    default:
      return IPV6_CLASSES[range] ?? 'reserved'
  }
}

// `::a.b.c.d` is IPv4-compatible, but ipaddr.js reads it as `::ffff:a.b.c.d`; written
// `::0:a.b.c.d` it reads it right.
const IPV4_COMPATIBLE = /^::(?=[0-9a-fx.]+(?:%.*)?$)/i

function parseAddress(text: string): IPv4 | IPv6 | null {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text
  if (bare.length > MAX_ADDRESS_TEXT || !ipaddr.isValid(bare)) return null
  const compatible = bare.includes('.') ? bare.replace(IPV4_COMPATIBLE, '::0:') : bare
  return ipaddr.parse(ipaddr.isValid(compatible) ? compatible : bare)
}

/**
 * The class of an IP address that webhook delivery refuses, or null for a public address it
 * allows. Takes every spelling ipaddr.js reads (`127.1`, `0x7f000001`, `2130706433`,
 * `0177.0.0.1`, `::ffff:7f00:1`, with or without brackets). Throws `validation` for a text
 * that is not an IP address.
 *
 * @example forbiddenAddressClass('::ffff:169.254.169.254') // 'linkLocal'
 */
export function forbiddenAddressClass(address: string): ForbiddenAddressClass | null {
  const ip = parseAddress(address)
  if (ip === null) {
    throw new KeycycleError('validation', 'address: not an IP address', {
      details: { field: 'address' },
    })
  }
  return classOf(ip)
}

const DESCRIPTIONS: Record<ForbiddenAddressClass, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  linkLocal: 'a link-local address',
  uniqueLocal: 'a unique-local address',
  carrierGradeNat: 'a carrier-grade NAT address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  reserved: 'a special-purpose address',
}

function refusal(
  hostname: string,
  address: string,
  addressClass: ForbiddenAddressClass,
  // How the host name came to the address.
  via: 'is' | 'resolves to' | 'connected to' = 'is',
): DestinationRefusal {
  const what = DESCRIPTIONS[addressClass]
  const where =
    address === hostname ? `${hostname} is ${what}` : `${hostname} ${via} ${address}, ${what}`
  const message = `webhook destination refused: ${where}`
  return Object.freeze({ hostname, address, addressClass, message })
}

const LOCALHOST = /(?:^|\.)localhost\.?$/i

/**
 * The refusal for a URL's host as written, before any lookup: an IP literal (in any spelling)
 * of a refused class, or `localhost` / `*.localhost` (RFC 6761: always loopback). Null for a
 * public IP literal and for any other name, whose addresses are checked once resolved.
 */
export function hostRefusal(hostname: string): DestinationRefusal | null {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname
  if (LOCALHOST.test(host)) return refusal(host, host, 'loopback')
  const ip = parseAddress(host)
  const addressClass = ip === null ? null : classOf(ip)
  return ip === null || addressClass === null ? null : refusal(host, canonical(ip), addressClass)
}

/**
 * The refusal for the first of `addresses` (what `hostname` resolved to, or, `via`
 * `'connected to'`, the address a socket reached) of a refused class, or null when every one is
 * public. A text that is not an IP address is refused as `reserved`.
 */
export function addressesRefusal(
  hostname: string,
  addresses: readonly string[],
  via: 'resolves to' | 'connected to' = 'resolves to',
): DestinationRefusal | null {
  for (const address of addresses) {
    const ip = parseAddress(address)
    if (ip === null) return refusal(hostname, address.slice(0, MAX_ADDRESS_TEXT), 'reserved', via)
    const addressClass = classOf(ip)
    if (addressClass !== null) return refusal(hostname, canonical(ip), addressClass, via)
  }
  return null
}

const canonical = (ip: IPv4 | IPv6) =>
  ip.kind() === 'ipv4' ? ip.toString() : (ip as IPv6).toRFC5952String()

// A registered symbol, as KeycycleError's own brand: `instanceof` holds across builds, and only
// for this error (KeycycleError's static check would otherwise answer for every KeycycleError).
const BRAND = Symbol.for('keycycle.WebhookDestinationError')

/**
 * A webhook delivery refused for its destination: the URL's host is, or resolves to, or
 * connected to, an address of a refused class. Code `forbidden`, `details.field` `'url'`; the
 * refusal's parts are on the error. Nothing was sent. A `KeycycleError`, so the outbox retries
 * it like any failed delivery (the host may fix the config, or DNS may change, meanwhile).
 */
export class WebhookDestinationError extends KeycycleError {
  readonly hostname: string
  readonly address: string
  readonly addressClass: ForbiddenAddressClass

  constructor(refused: DestinationRefusal) {
    super('forbidden', refused.message, { details: { field: 'url' } })
    this.name = 'WebhookDestinationError'
    this.hostname = refused.hostname
    this.address = refused.address
    this.addressClass = refused.addressClass
    Object.defineProperty(this, BRAND, { value: true })
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && BRAND in value
  }
}
