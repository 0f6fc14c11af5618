import { describe, expect, it } from 'vitest'
import { KeycycleError } from '../../src/core/errors'
import {
  ipAllowed,
  MAX_IP_RULES,
  normaliseIpRules,
  parseClientIp,
  parseIpRules,
} from '../../src/core/ip-rules'

const allowed = (rules: string[], ip: string) => ipAllowed(parseIpRules(rules), parseClientIp(ip))

function refusal(run: () => unknown): KeycycleError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(KeycycleError)
    return error as KeycycleError
  }
  throw new Error('accepted')
}

describe('ipAllowed', () => {
  it.each([
    // IPv4 addresses and blocks, with each block's first and last address and one outside
    // each side.
    [['192.0.2.1'], '192.0.2.1', true],
    [['192.0.2.1'], '192.0.2.2', false],
    [['10.0.0.0/8'], '10.0.0.0', true],
    [['10.0.0.0/8'], '10.255.255.255', true],
    [['10.0.0.0/8'], '9.255.255.255', false],
    [['10.0.0.0/8'], '11.0.0.0', false],
    [['192.0.2.64/26'], '192.0.2.64', true],
    [['192.0.2.64/26'], '192.0.2.127', true],
    [['192.0.2.64/26'], '192.0.2.63', false],
    [['192.0.2.64/26'], '192.0.2.128', false],
    [['192.0.2.7/32'], '192.0.2.7', true],
    [['192.0.2.7/32'], '192.0.2.6', false],
    [['192.0.2.7/32'], '192.0.2.8', false],
    [['0.0.0.0/0'], '0.0.0.0', true],
    [['0.0.0.0/0'], '255.255.255.255', true],
    [['0.0.0.0/0'], '2001:db8::1', false],
    // IPv6.
    [['2001:db8::1'], '2001:db8::1', true],
    [['2001:db8::1'], '2001:db8:0:0:0:0:0:1', true],
    [['2001:db8::1'], '2001:db8::2', false],
    [['2001:db8::/32'], '2001:db8::', true],
    [['2001:db8::/32'], '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', true],
    [['2001:db8::/32'], '2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', false],
    [['2001:db8::/32'], '2001:db9::', false],
    [['2001:db8::80/121'], '2001:db8::80', true],
    [['2001:db8::80/121'], '2001:db8::ff', true],
    [['2001:db8::80/121'], '2001:db8::7f', false],
    [['2001:db8::80/121'], '2001:db8::100', false],
    [['2001:db8::5/128'], '2001:db8::5', true],
    [['2001:db8::5/128'], '2001:db8::4', false],
    [['2001:db8::5/128'], '2001:db8::6', false],
    [['::/0'], '::', true],
    [['::/0'], 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', true],
    [['::/0'], '192.0.2.1', true],
    [['2001:db8::/32'], '192.0.2.1', false],
    // Several entries, either family.
    [['10.0.0.0/8', '2001:db8::/32'], '2001:db8::9', true],
    [['10.0.0.0/8', '2001:db8::/32'], '10.1.2.3', true],
    [['10.0.0.0/8', '2001:db8::/32'], '172.16.0.1', false],
  ])('%j allows %s: %s', (rules, ip, expected) => {
    expect(allowed(rules, ip)).toBe(expected)
  })

  it('takes an IPv4-mapped IPv6 client as its IPv4 address', () => {
    expect(allowed(['192.0.2.1'], '::ffff:192.0.2.1')).toBe(true)
    expect(allowed(['192.0.2.1'], '::FFFF:c000:0201')).toBe(true)
    expect(allowed(['10.0.0.0/8'], '::ffff:10.255.255.255')).toBe(true)
    expect(allowed(['10.0.0.0/8'], '::ffff:11.0.0.0')).toBe(false)
  })

  it('matches an IPv4 client against an IPv4-mapped rule', () => {
    expect(allowed(['::ffff:192.0.2.1'], '192.0.2.1')).toBe(true)
    expect(allowed(['::ffff:10.0.0.0/104'], '10.255.255.255')).toBe(true)
    expect(allowed(['::ffff:10.0.0.0/104'], '11.0.0.0')).toBe(false)
    expect(allowed(['::ffff:10.0.0.0/104'], '::ffff:10.0.0.1')).toBe(true)
    expect(allowed(['::ffff:0:0/96'], '203.0.113.9')).toBe(true)
    expect(allowed(['::ffff:0:0/96'], '2001:db8::1')).toBe(false)
  })
})

describe('parseIpRules', () => {
  it('gives each entry its canonical text, the IPv4-mapped ones as IPv4, repeats dropped', () => {
    expect(
      normaliseIpRules([
        '10.0.0.0/8',
        '2001:DB8:0:0::/32',
        '192.0.2.1',
        '192.0.2.1/32',
        '::ffff:192.0.2.9',
        '::ffff:10.0.0.0/104',
        '2001:db8:0:0:0:0:0:1/128',
        '::/0',
        '0.0.0.0/0',
        '2001:db8::/32',
      ]),
    ).toEqual([
      '10.0.0.0/8',
      '2001:db8::/32',
      '192.0.2.1',
      '192.0.2.9',
      '2001:db8::1',
      '::/0',
      '0.0.0.0/0',
    ])
  })

  it('gives a deep-frozen value', () => {
    const rules = parseIpRules(['10.0.0.0/8', '2001:db8::/32'])
    expect(Object.isFrozen(rules)).toBe(true)
    expect(Object.isFrozen(rules.entries)).toBe(true)
    expect(Object.isFrozen(rules.ipv4[0])).toBe(true)
    expect(ipAllowed(rules, parseClientIp('10.9.9.9'))).toBe(true)
  })

  it(`takes up to ${MAX_IP_RULES} entries`, () => {
    const list = Array.from({ length: MAX_IP_RULES }, (_, i) => `192.0.2.${i}`)
    expect(parseIpRules(list).entries).toHaveLength(MAX_IP_RULES)
    const error = refusal(() => parseIpRules([...list, '192.0.2.200']))
    expect([error.code, error.details.field, error.message]).toEqual([
      'validation',
      'allowedIps',
      `allowedIps: at most ${MAX_IP_RULES} entries`,
    ])
  })

  it.each([null, undefined, '10.0.0.0/8', { 0: '10.0.0.1' }, []])(
    'refuses %j as a list',
    (list) => {
      const error = refusal(() => parseIpRules(list))
      expect([error.code, error.details.field]).toEqual(['validation', 'allowedIps'])
    },
  )

  it.each([
    ['10.0.0.256', '"10.0.0.256" is not an IPv4 or IPv6 address or CIDR block'],
    ['10.0.0', '"10.0.0" is not an IPv4 or IPv6 address or CIDR block'],
    ['10', '"10" is not an IPv4 or IPv6 address or CIDR block'],
    ['010.0.0.1', '"010.0.0.1" is not an IPv4 or IPv6 address or CIDR block'],
    ['0x0a.0.0.1', '"0x0a.0.0.1" is not an IPv4 or IPv6 address or CIDR block'],
    [' 10.0.0.1', '" 10.0.0.1" is not an IPv4 or IPv6 address or CIDR block'],
    ['example.com', '"example.com" is not an IPv4 or IPv6 address or CIDR block'],
    ['2001:db8::g', '"2001:db8::g" is not an IPv4 or IPv6 address or CIDR block'],
    ['2001:db8:::1', '"2001:db8:::1" is not an IPv4 or IPv6 address or CIDR block'],
    ['1:2:3:4:5:6:7:8:9', '"1:2:3:4:5:6:7:8:9" is not an IPv4 or IPv6 address or CIDR block'],
    ['[2001:db8::1]', '"[2001:db8::1]" is not an IPv4 or IPv6 address or CIDR block'],
    ['::ffff:010.0.0.1', '"::ffff:010.0.0.1" is not an IPv4 or IPv6 address or CIDR block'],
    ['10.0.0.0/', '"10.0.0.0/" is not an IPv4 or IPv6 address or CIDR block'],
    ['10.0.0.0/08', '"10.0.0.0/08" is not an IPv4 or IPv6 address or CIDR block'],
    ['10.0.0.0/8/8', '"10.0.0.0/8/8" is not an IPv4 or IPv6 address or CIDR block'],
    ['10.0.0.0/-1', '"10.0.0.0/-1" is not an IPv4 or IPv6 address or CIDR block'],
    ['10.0.0.0/33', '"10.0.0.0/33": prefix length 33 is out of range for IPv4 (0–32)'],
    ['2001:db8::/129', '"2001:db8::/129": prefix length 129 is out of range for IPv6 (0–128)'],
    ['10.0.0.1/8', '"10.0.0.1/8" has bits set after its prefix: the block is 10.0.0.0/8'],
    [
      '2001:db8::1/32',
      '"2001:db8::1/32" has bits set after its prefix: the block is 2001:db8::/32',
    ],
    [
      '::ffff:10.0.0.1/104',
      '"::ffff:10.0.0.1/104" has bits set after its prefix: the block is 10.0.0.0/8',
    ],
    ['fe80::1%eth0', '"fe80::1%eth0" has a zone ID (%…): zones are not accepted'],
    [
      '::10.0.0.1',
      '"::10.0.0.1" is in the deprecated IPv4-compatible form ::a.b.c.d: write ::ffff:a.b.c.d or a.b.c.d',
    ],
    ['1'.repeat(60), 'a text of 60 characters is not an IPv4 or IPv6 address or CIDR block'],
  ])('refuses the entry %j, naming its index', (entry, message) => {
    const error = refusal(() => parseIpRules(['192.0.2.1', '10.0.0.0/8', '2001:db8::/32', entry]))
    expect([error.code, error.details.field, error.message]).toEqual([
      'validation',
      'allowedIps[3]',
      `allowedIps[3]: ${message}`,
    ])
  })

  it('refuses an entry that is not a string, naming the field it is given', () => {
    const error = refusal(() => parseIpRules(['10.0.0.0/8', 10], 'organisation.allowedIps'))
    expect([error.code, error.details.field]).toEqual(['validation', 'organisation.allowedIps[1]'])
  })
})

describe('parseClientIp', () => {
  it.each([
    ['192.0.2.1', '192.0.2.1', 'ipv4'],
    ['0.0.0.0', '0.0.0.0', 'ipv4'],
    ['255.255.255.255', '255.255.255.255', 'ipv4'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1', 'ipv6'],
    ['::1', '::1', 'ipv6'],
    ['::', '::', 'ipv6'],
    ['::ffff:192.0.2.1', '192.0.2.1', 'ipv4'],
    ['::ffff:c000:201', '192.0.2.1', 'ipv4'],
    ['0:0:0:0:0:ffff:192.0.2.1', '192.0.2.1', 'ipv4'],
    ['64:ff9b::192.0.2.1', '64:ff9b::c000:201', 'ipv6'],
  ])('reads %s as %s (%s)', (text, address, kind) => {
    const ip = parseClientIp(text)
    expect([ip.address, ip.kind]).toEqual([address, kind])
    expect(Object.isFrozen(ip)).toBe(true)
  })

  it.each([
    ['192.0.2.1:8080', 'is not an IPv4 or IPv6 address'],
    ['[2001:db8::1]', 'is not an IPv4 or IPv6 address'],
    ['[2001:db8::1]:443', 'is not an IPv4 or IPv6 address'],
    ['192.0.2.1 ', 'is not an IPv4 or IPv6 address'],
    ['192.0.2.1/32', 'is not an IPv4 or IPv6 address'],
    ['192.0.2', 'is not an IPv4 or IPv6 address'],
    ['192.0.2.01', 'is not an IPv4 or IPv6 address'],
    ['3221225985', 'is not an IPv4 or IPv6 address'],
    ['', 'is not an IPv4 or IPv6 address'],
    ['localhost', 'is not an IPv4 or IPv6 address'],
    ['12345::1', 'is not an IPv4 or IPv6 address'],
    ['fe80::1%eth0', 'has a zone ID (%…): zones are not accepted'],
    ['::192.0.2.1', 'is in the deprecated IPv4-compatible form'],
  ])('refuses %j', (text, message) => {
    const error = refusal(() => parseClientIp(text))
    expect([error.code, error.details.field]).toEqual(['validation', 'ip'])
    expect(error.message).toContain(`ip: ${JSON.stringify(text)} ${message}`)
  })

  it('refuses a non-string, naming the field it is given', () => {
    for (const value of [null, undefined, 3221225985, ['192.0.2.1']]) {
      const error = refusal(() => parseClientIp(value, 'options.ip'))
      expect([error.code, error.details.field, error.message]).toEqual([
        'validation',
        'options.ip',
        'options.ip: must be an IP address (a string)',
      ])
    }
  })
})
