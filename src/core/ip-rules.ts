import ipaddr from 'ipaddr.js'
import { invalidInput } from './errors'
import { deepFreeze } from './freeze'

type IPv4 = ipaddr.IPv4
type IPv6 = ipaddr.IPv6

/** Most entries an `allowedIps` list may hold. */
export const MAX_IP_RULES = 64

// The longest text of an address (`ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`) and of a
// block (plus `/128`). Longer input is refused before ipaddr.js's regular expressions see it.
const MAX_ADDRESS_TEXT = 45
const MAX_BLOCK_TEXT = MAX_ADDRESS_TEXT + 4

const IPV6_CHARACTERS = /^[0-9A-Fa-f:.]+$/
// `::a.b.c.d`, the IPv4-compatible form RFC 4291 deprecates; ipaddr.js would read it as
// `::ffff:a.b.c.d`, which is a different address.
const IPV4_COMPATIBLE = /^::[0-9.]+$/
const PREFIX = /^(?:0|[1-9][0-9]{0,2})$/

/** One block of an allow-list: the addresses whose first `prefix` bits are `network`'s. */
export interface IpBlock<Address> {
  readonly network: Address
  readonly prefix: number
}

/**
 * A parsed `allowedIps` list, from {@link parseIpRules}; deep-frozen, to be parsed once and
 * reused. IPv4 blocks and IPv4-mapped IPv6 blocks (`::ffff:a.b.c.d`, prefix ≥ 96) are both in
 * `ipv4`, in their IPv4 form; `ipv6` holds the other IPv6 blocks.
 */
export interface IpRules {
  /** The canonical text of each entry, in the order given, repeats dropped: what is stored. */
  readonly entries: readonly string[]
  readonly ipv4: readonly IpBlock<IPv4>[]
  readonly ipv6: readonly IpBlock<IPv6>[]
}

/**
 * A client's address, from {@link parseClientIp}. An IPv4-mapped IPv6 address is its IPv4
 * address: `kind` `'ipv4'`, `address` dotted.
 */
export interface ClientIp {
  /** Canonical text: dotted decimal for IPv4, RFC 5952 (lower case, `::`) for IPv6. */
  readonly address: string
  readonly kind: 'ipv4' | 'ipv6'
  /** The IPv4 address, or null for an IPv6 address outside the IPv4-mapped block. */
  readonly ipv4: IPv4 | null
  /** The IPv6 form: the address itself, or the IPv4-mapped form of an IPv4 address. */
  readonly ipv6: IPv6
}

const shown = (text: string) =>
  text.length <= MAX_BLOCK_TEXT ? JSON.stringify(text) : `a text of ${text.length} characters`

// Parses one address strictly, where ipaddr.js alone is lenient: IPv4 only as four decimal parts
// without leading zeros (`010.0.0.1` and `10` are refused, not read as octal or as a 32-bit
// number), an IPv6 address's embedded IPv4 part likewise, no zone, no brackets, no port.
function parseAddress(text: string, field: string, what: string): IPv4 | IPv6 {
  const malformed = () => invalidInput(field, `${shown(text)} is not ${what}`)
  if (text.length > MAX_ADDRESS_TEXT) throw malformed()
  if (!text.includes(':')) {
    if (!ipaddr.IPv4.isValidFourPartDecimal(text)) throw malformed()
    return ipaddr.IPv4.parse(text)
  }
  if (text.includes('%')) {
    throw invalidInput(field, `${shown(text)} has a zone ID (%…): zones are not accepted`)
  }
  if (!IPV6_CHARACTERS.test(text)) throw malformed()
  if (text.includes('.')) {
    if (IPV4_COMPATIBLE.test(text)) {
      throw invalidInput(
        field,
        `${shown(text)} is in the deprecated IPv4-compatible form ::a.b.c.d: write ::ffff:a.b.c.d or a.b.c.d`,
      )
    }
    const embedded = text.slice(text.lastIndexOf(':') + 1)
    if (!ipaddr.IPv4.isValidFourPartDecimal(embedded)) throw malformed()
  }
  if (!ipaddr.IPv6.isValid(text)) throw malformed()
  return ipaddr.IPv6.parse(text)
}

const textOf = (address: IPv4 | IPv6) =>
  address.kind() === 'ipv4' ? address.toString() : (address as IPv6).toRFC5952String()

/**
 * Parses a client's address: IPv4 (four decimal parts, no leading zeros) or IPv6, an
 * IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) standing for its IPv4 address. Nothing is
 * stripped: brackets, a port or surrounding spaces are the HTTP layer's to remove, and make the
 * address malformed here. Refused, with `invalidInput(field, …)` (code `validation`): a
 * non-string, a malformed address, an IPv6 zone (`fe80::1%eth0`), the deprecated
 * IPv4-compatible form `::a.b.c.d`.
 *
 * @example parseClientIp('::ffff:192.0.2.1').address // '192.0.2.1'
 */
export function parseClientIp(text: unknown, field = 'ip'): ClientIp {
  if (typeof text !== 'string') throw invalidInput(field, 'must be an IP address (a string)')
  const address = parseAddress(text, field, 'an IPv4 or IPv6 address')
  if (address.kind() === 'ipv4' || (address as IPv6).isIPv4MappedAddress()) {
    const ipv4 = address.kind() === 'ipv4' ? (address as IPv4) : (address as IPv6).toIPv4Address()
    const ipv6 = ipv4.toIPv4MappedAddress()
    return Object.freeze({ address: ipv4.toString(), kind: 'ipv4', ipv4, ipv6 })
  }
  const ipv6 = address as IPv6
  return Object.freeze({ address: textOf(ipv6), kind: 'ipv6', ipv4: null, ipv6 })
}

function parseBlock(text: unknown, field: string): IpBlock<IPv4 | IPv6> {
  const what = 'an IPv4 or IPv6 address or CIDR block'
  if (typeof text !== 'string') throw invalidInput(field, `must be ${what} (a string)`)
  const slash = text.indexOf('/')
  const addressText = slash < 0 ? text : text.slice(0, slash)
  const prefixText = slash < 0 ? null : text.slice(slash + 1)
  if (text.length > MAX_BLOCK_TEXT || (prefixText !== null && !PREFIX.test(prefixText))) {
    throw invalidInput(field, `${shown(text)} is not ${what}`)
  }
  let address = parseAddress(addressText, field, what)
  const bits = address.kind() === 'ipv4' ? 32 : 128
  let prefix = prefixText === null ? bits : Number(prefixText)
  if (prefix > bits) {
    const family = bits === 32 ? 'IPv4' : 'IPv6'
    throw invalidInput(
      field,
      `${shown(text)}: prefix length ${prefix} is out of range for ${family} (0–${bits})`,
    )
  }
  // A block inside ::ffff:0:0/96 is a block of IPv4 addresses, kept (and stored) as one.
  if (address.kind() === 'ipv6' && prefix >= 96 && (address as IPv6).isIPv4MappedAddress()) {
    address = (address as IPv6).toIPv4Address()
    prefix -= 96
  }
  // Host bits after the prefix are refused rather than cleared: `10.0.0.1/8` is more likely a
  // mistake for `10.0.0.1` than a way of writing `10.0.0.0/8`, and widening it silently would
  // let in sixteen million addresses nobody named.
  const family = address.kind() === 'ipv4' ? ipaddr.IPv4 : ipaddr.IPv6
  const network = family.networkAddressFromCIDR(`${textOf(address)}/${prefix}`)
  if (!network.match(address, address.kind() === 'ipv4' ? 32 : 128)) {
    throw invalidInput(
      field,
      `${shown(text)} has bits set after its prefix: the block is ${textOf(network)}/${prefix}`,
    )
  }
  return { network, prefix }
}

function blockText(block: IpBlock<IPv4 | IPv6>): string {
  const whole = block.network.kind() === 'ipv4' ? 32 : 128
  const address = textOf(block.network)
  return block.prefix === whole ? address : `${address}/${block.prefix}`
}

/**
 * Parses an `allowedIps` list: 1 to `MAX_IP_RULES` IPv4 or IPv6 addresses (one address each) or
 * CIDR blocks (`10.0.0.0/8`, `2001:db8::/32`), each written as {@link parseClientIp} takes an
 * address. `null` ("any address") is the caller's to handle; this takes arrays only. An
 * IPv4-mapped block (`::ffff:10.0.0.0/104`) is kept as its IPv4 block (`10.0.0.0/8`). Refused,
 * with `invalidInput` (code `validation`): a non-array or an empty array (`null` allows any
 * address, so `[]` would only lock the key out), more than `MAX_IP_RULES` entries, and, naming the
 * entry (`allowedIps[3]`), an entry that is not an address or block, a prefix length out of
 * range (0–32 for IPv4, 0–128 for IPv6), or a block with bits set after its prefix
 * (`10.0.0.1/8` is refused, not read as `10.0.0.0/8`).
 */
export function parseIpRules(list: unknown, field = 'allowedIps'): IpRules {
  if (!Array.isArray(list)) {
    throw invalidInput(field, 'must be an array of IP addresses and CIDR blocks, or null')
  }
  if (list.length === 0) {
    throw invalidInput(field, 'must hold at least one address or block; null allows any address')
  }
  if (list.length > MAX_IP_RULES) throw invalidInput(field, `at most ${MAX_IP_RULES} entries`)
  const entries: string[] = []
  const ipv4: IpBlock<IPv4>[] = []
  const ipv6: IpBlock<IPv6>[] = []
  for (const [i, item] of list.entries()) {
    const block = parseBlock(item, `${field}[${i}]`)
    const text = blockText(block)
    if (entries.includes(text)) continue
    entries.push(text)
    if (block.network.kind() === 'ipv4') ipv4.push(block as IpBlock<IPv4>)
    else ipv6.push(block as IpBlock<IPv6>)
  }
  return deepFreeze({ entries, ipv4, ipv6 })
}

/**
 * The canonical text of each entry of an `allowedIps` list, as stored: lower-case RFC 5952
 * IPv6, IPv4-mapped entries in their IPv4 form, a one-address block as the bare address
 * (`192.0.2.1/32` → `192.0.2.1`), repeats dropped, order kept. Throws as {@link parseIpRules}.
 *
 * @example normaliseIpRules(['2001:DB8:0::/32', '::ffff:192.0.2.1']) // ['2001:db8::/32', '192.0.2.1']
 */
export function normaliseIpRules(list: unknown, field = 'allowedIps'): string[] {
  return [...parseIpRules(list, field).entries]
}

/**
 * True when `ip` lies in one of `rules`' blocks; boundaries are exact (a block's first and last
 * address are in it). An address and its IPv4-mapped IPv6 form are one address: an IPv4 client
 * matches an IPv4 block (whether written `10.0.0.0/8` or `::ffff:10.0.0.0/104`) and any IPv6
 * block holding its mapped form (`::/0`); a client at `::ffff:192.0.2.1` matches as `192.0.2.1`.
 * Allocates nothing.
 */
export function ipAllowed(rules: IpRules, ip: ClientIp): boolean {
  if (ip.ipv4 !== null) {
    for (let i = 0; i < rules.ipv4.length; i++) {
      const block = rules.ipv4[i] as IpBlock<IPv4>
      if (ip.ipv4.match(block.network, block.prefix)) return true
    }
  }
  for (let i = 0; i < rules.ipv6.length; i++) {
    const block = rules.ipv6[i] as IpBlock<IPv6>
    if (ip.ipv6.match(block.network, block.prefix)) return true
  }
  return false
}
