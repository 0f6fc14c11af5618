import { describe, expect, it } from 'vitest'
import { KeycycleError } from '../../src'
import {
  checkWebhookDestination,
  type ForbiddenAddressClass,
  forbiddenAddressClass,
} from '../../src/webhooks'
import { addressesRefusal, hostRefusal } from '../../src/webhooks/egress'

// Each refused class, in IPv4 and IPv6 and at the blocks' edges.
const REFUSED: [string, ForbiddenAddressClass][] = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.255', 'loopback'],
  ['::1', 'loopback'],
  ['10.0.0.0', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['fec0::1', 'private'],
  ['169.254.169.254', 'linkLocal'],
  ['169.254.0.1', 'linkLocal'],
  ['fe80::1', 'linkLocal'],
  ['fe80::1%eth0', 'linkLocal'],
  ['fc00::1', 'uniqueLocal'],
  ['fd12:3456::1', 'uniqueLocal'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['100.127.255.255', 'carrierGradeNat'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['::', 'unspecified'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['ff02::1', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  // Special-purpose blocks: IETF, documentation, benchmarking, class E, AS112, discard, …
  ['192.0.0.8', 'reserved'],
  ['192.0.2.1', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['198.51.100.1', 'reserved'],
  ['203.0.113.1', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['192.88.99.1', 'reserved'],
  ['192.175.48.1', 'reserved'],
  ['2001:db8::1', 'reserved'],
  ['100::1', 'reserved'],
  ['2001:2::1', 'reserved'],
  ['3fff::1', 'reserved'],
  ['4000::1', 'reserved'],
]

// The same addresses in IPv6 forms that carry an IPv4 address, and IPv4 in other spellings.
const EMBEDDED: [string, ForbiddenAddressClass][] = [
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['[::ffff:7f00:1]', 'loopback'],
  ['::127.0.0.1', 'loopback'],
  ['::7f00:1', 'loopback'],
  ['::ffff:0:7f00:1', 'loopback'],
  ['64:ff9b::127.0.0.1', 'loopback'],
  ['2002:7f00:1::', 'loopback'],
  ['::ffff:169.254.169.254', 'linkLocal'],
  ['64:ff9b::a9fe:a9fe', 'linkLocal'],
  ['::ffff:10.0.0.1', 'private'],
  ['::10.0.0.1', 'private'],
  ['2002:c0a8:101::1', 'private'],
  ['::ffff:100.64.0.1', 'carrierGradeNat'],
  ['::ffff:0.0.0.0', 'unspecified'],
  ['::ffff:255.255.255.255', 'broadcast'],
  ['127.1', 'loopback'],
  ['0x7f000001', 'loopback'],
  ['2130706433', 'loopback'],
  ['0177.0.0.1', 'loopback'],
  ['0xa9.0xfe.0xa9.0xfe', 'linkLocal'],
  ['2852039166', 'linkLocal'],
]

describe('forbiddenAddressClass', () => {
  it.each(REFUSED)('%s is %s', (address, expected) => {
    expect(forbiddenAddressClass(address)).toBe(expected)
  })

  it.each(EMBEDDED)('%s is %s', (address, expected) => {
    expect(forbiddenAddressClass(address)).toBe(expected)
  })

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '100.63.255.255',
    '100.128.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '169.253.255.255',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001::200e',
    '::ffff:8.8.8.8',
    // NAT64 of a public address: how an IPv6-only network reaches an IPv4 receiver.
    '64:ff9b::808:808',
  ])('%s is public', (address) => {
    expect(forbiddenAddressClass(address)).toBeNull()
  })

  it('refuses transition forms whatever they carry: 6to4 and IPv4-compatible of a public address, Teredo, local-use NAT64', () => {
    expect(forbiddenAddressClass('2002:808:808::1')).toBe('reserved')
    expect(forbiddenAddressClass('::8.8.8.8')).toBe('reserved')
    expect(forbiddenAddressClass('::ffff:0:808:808')).toBe('reserved')
    expect(forbiddenAddressClass('2001:0:4136:e378:8000:63bf:3fff:fdd2')).toBe('reserved')
    expect(forbiddenAddressClass('64:ff9b:1::808:808')).toBe('reserved')
  })

  it('throws validation for a text that is not an IP address', () => {
    for (const text of ['localhost', 'hooks.example', '', '1.2.3.4.5', 'x'.repeat(500)]) {
      expect(() => forbiddenAddressClass(text)).toThrow(KeycycleError)
    }
  })
})

describe('the host as written, and what it resolves to', () => {
  it('refuses localhost names without resolving them (RFC 6761)', () => {
    for (const name of ['localhost', 'LOCALHOST', 'localhost.', 'api.localhost']) {
      expect(hostRefusal(name)).toMatchObject({ addressClass: 'loopback', address: name })
    }
    expect(hostRefusal('localhost.example')).toBeNull()
    expect(hostRefusal('notlocalhost')).toBeNull()
  })

  it('names the host, the address and its class, and nothing of the URL else', () => {
    expect(hostRefusal('[::ffff:a9fe:a9fe]')).toEqual({
      hostname: '::ffff:a9fe:a9fe',
      address: '::ffff:a9fe:a9fe',
      addressClass: 'linkLocal',
      message: 'webhook destination refused: ::ffff:a9fe:a9fe is a link-local address',
    })
    expect(addressesRefusal('hooks.test', ['8.8.8.8', '10.1.2.3'])).toEqual({
      hostname: 'hooks.test',
      address: '10.1.2.3',
      addressClass: 'private',
      message: 'webhook destination refused: hooks.test resolves to 10.1.2.3, a private address',
    })
    expect(addressesRefusal('hooks.test', ['8.8.8.8', '2606:4700::1111'])).toBeNull()
    expect(addressesRefusal('hooks.test', ['not an address'])).toMatchObject({
      addressClass: 'reserved',
    })
  })
})

describe('checkWebhookDestination', () => {
  const lookupOf =
    (...answers: string[][]) =>
    async (name: string) => {
      asked.push(name)
      return answers.shift() ?? []
    }
  let asked: string[] = []

  it('refuses forbidden literals in URL spellings, without a lookup', async () => {
    asked = []
    const lookup = lookupOf()
    for (const url of [
      'http://127.1:6379',
      'http://0x7f000001/',
      'http://2130706433/',
      'http://0177.0.0.1/',
      'http://[::1]:8080/',
      'http://[::ffff:127.0.0.1]/',
      'https://localhost/hooks',
    ]) {
      expect(await checkWebhookDestination(url, { lookup }), url).toMatchObject({
        addressClass: 'loopback',
      })
    }
    expect(
      await checkWebhookDestination('http://169.254.169.254/latest/meta-data/', { lookup }),
    ).toMatchObject({ address: '169.254.169.254', addressClass: 'linkLocal' })
    expect(asked).toEqual([])
  })

  it('refuses a name that resolves to a refused address; passes a public one', async () => {
    asked = []
    const lookup = lookupOf(
      ['127.0.0.1'],
      ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
    )
    expect(await checkWebhookDestination('https://hooks.test/a', { lookup })).toMatchObject({
      hostname: 'hooks.test',
      address: '127.0.0.1',
      addressClass: 'loopback',
    })
    expect(await checkWebhookDestination('https://hooks.test/a', { lookup })).toBeNull()
    expect(asked).toEqual(['hooks.test', 'hooks.test'])
  })

  it('does not refuse a name that does not resolve now; allowPrivateDestinations refuses nothing', async () => {
    const failing = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })
    }
    expect(await checkWebhookDestination('https://nowhere.test/', { lookup: failing })).toBeNull()
    expect(
      await checkWebhookDestination('http://127.0.0.1/', { allowPrivateDestinations: true }),
    ).toBeNull()
  })

  it('throws validation for a URL that is not absolute http(s)', async () => {
    await expect(checkWebhookDestination('ftp://hooks.test/')).rejects.toMatchObject({
      code: 'validation',
    })
    await expect(checkWebhookDestination('/relative')).rejects.toMatchObject({
      code: 'validation',
    })
  })
})
