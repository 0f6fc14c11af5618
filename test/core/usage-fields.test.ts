import { describe, expect, it } from 'vitest'
import { ADMIN } from '../../src/conformance/fixtures'
import { KeycycleError } from '../../src/core/errors'
import { MAX_IP_RULES } from '../../src/core/ip-rules'
import {
  inputFromWire,
  KEY_FIELDS,
  MAX_CREDITS,
  MAX_RATE_LIMIT,
  MAX_RATE_LIMIT_WINDOW_MS,
  MAX_RATE_LIMITS,
  MAX_REFILL_INTERVAL_MS,
  ORGANISATION_FIELDS,
  parseInput,
  toWire,
  wirePath,
} from '../../src/core/schema'
import type { Actor } from '../../src/core/types'

// Usage control's fields as the schema declares them: every bound and malformed form is
// refused naming its field, in the JavaScript API's spelling and in the wire's.

const owner: Actor = { kind: 'organisation', id: 'org_01JD8X3YQ0V6N2M4K7P9R1S3T5' }

function caught(run: () => unknown): KeycycleError {
  try {
    run()
  } catch (error) {
    if (error instanceof KeycycleError) return error
    throw error
  }
  throw new Error('did not throw')
}

const limit = (over: Record<string, unknown> = {}) => ({
  name: 'api',
  limit: 100,
  window_ms: 60_000,
  ...over,
})
const limits = (n: number) => Array.from({ length: n }, (_, i) => limit({ name: `l${i}` }))
const ips = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${i >> 8}.${i & 255}`)

// [what, wire body, the field named in the JavaScript API, the field named on the wire]
const REFUSED: [string, Record<string, unknown>, string, string][] = [
  ['rate limits not a list', { rate_limits: 'api' }, 'rateLimits', 'rate_limits'],
  [
    'too many rate limits',
    { rate_limits: limits(MAX_RATE_LIMITS + 1) },
    'rateLimits',
    'rate_limits',
  ],
  ['a rate limit not an object', { rate_limits: [7] }, 'rateLimits[0]', 'rate_limits[0]'],
  [
    'no name',
    { rate_limits: [limit({ name: undefined })] },
    'rateLimits[0].name',
    'rate_limits[0].name',
  ],
  [
    'empty name',
    { rate_limits: [limit({ name: '' })] },
    'rateLimits[0].name',
    'rate_limits[0].name',
  ],
  [
    'upper-case name',
    { rate_limits: [limit({ name: 'API' })] },
    'rateLimits[0].name',
    'rate_limits[0].name',
  ],
  [
    'name with a space',
    { rate_limits: [limit({ name: 'a b' })] },
    'rateLimits[0].name',
    'rate_limits[0].name',
  ],
  [
    '33-character name',
    { rate_limits: [limit({ name: 'a'.repeat(33) })] },
    'rateLimits[0].name',
    'rate_limits[0].name',
  ],
  [
    'repeated name',
    { rate_limits: [limit(), limit({ limit: 5 })] },
    'rateLimits[1].name',
    'rate_limits[1].name',
  ],
  [
    'no limit',
    { rate_limits: [limit({ limit: undefined })] },
    'rateLimits[0].limit',
    'rate_limits[0].limit',
  ],
  [
    'limit 0',
    { rate_limits: [limit({ limit: 0 })] },
    'rateLimits[0].limit',
    'rate_limits[0].limit',
  ],
  [
    'fractional limit',
    { rate_limits: [limit({ limit: 1.5 })] },
    'rateLimits[0].limit',
    'rate_limits[0].limit',
  ],
  [
    'limit as text',
    { rate_limits: [limit({ limit: '100' })] },
    'rateLimits[0].limit',
    'rate_limits[0].limit',
  ],
  [
    'limit above the maximum',
    { rate_limits: [limit({ limit: MAX_RATE_LIMIT + 1 })] },
    'rateLimits[0].limit',
    'rate_limits[0].limit',
  ],
  [
    'no window',
    { rate_limits: [limit({ window_ms: undefined })] },
    'rateLimits[0].windowMs',
    'rate_limits[0].window_ms',
  ],
  [
    'window under a second',
    { rate_limits: [limit({ window_ms: 999 })] },
    'rateLimits[0].windowMs',
    'rate_limits[0].window_ms',
  ],
  [
    'window above a day',
    { rate_limits: [limit({ window_ms: MAX_RATE_LIMIT_WINDOW_MS + 1 })] },
    'rateLimits[0].windowMs',
    'rate_limits[0].window_ms',
  ],
  [
    'the third limit’s window',
    {
      rate_limits: [
        limit({ name: 'a' }),
        limit({ name: 'b' }),
        limit({ name: 'c', window_ms: 10 }),
      ],
    },
    'rateLimits[2].windowMs',
    'rate_limits[2].window_ms',
  ],
  [
    'unknown scope',
    { rate_limits: [limit({ scope: 'global' })] },
    'rateLimits[0].scope',
    'rate_limits[0].scope',
  ],
  [
    'null scope',
    { rate_limits: [limit({ scope: null })] },
    'rateLimits[0].scope',
    'rate_limits[0].scope',
  ],
  ['credits not an object', { credits: 100 }, 'credits', 'credits'],
  ['negative balance', { credits: { remaining: -1 } }, 'credits.remaining', 'credits.remaining'],
  [
    'balance above the maximum',
    { credits: { remaining: MAX_CREDITS + 1 } },
    'credits.remaining',
    'credits.remaining',
  ],
  ['fractional balance', { credits: { remaining: 0.5 } }, 'credits.remaining', 'credits.remaining'],
  ['null balance', { credits: { remaining: null } }, 'credits.remaining', 'credits.remaining'],
  [
    'refill not an object',
    { credits: { remaining: 1, refill: 5 } },
    'credits.refill',
    'credits.refill',
  ],
  [
    'refill without an interval',
    { credits: { remaining: 1, refill: { amount: 5 } } },
    'credits.refill.intervalMs',
    'credits.refill.interval_ms',
  ],
  [
    'refill without an amount',
    { credits: { refill: { interval_ms: 1000 } } },
    'credits.refill.amount',
    'credits.refill.amount',
  ],
  [
    'negative refill',
    { credits: { refill: { amount: -1, interval_ms: 1000 } } },
    'credits.refill.amount',
    'credits.refill.amount',
  ],
  [
    'refill above the maximum',
    { credits: { refill: { amount: MAX_CREDITS + 1, interval_ms: 1000 } } },
    'credits.refill.amount',
    'credits.refill.amount',
  ],
  [
    'refill interval under a second',
    { credits: { refill: { amount: 1, interval_ms: 999 } } },
    'credits.refill.intervalMs',
    'credits.refill.interval_ms',
  ],
  [
    'refill interval above 366 days',
    { credits: { refill: { amount: 1, interval_ms: MAX_REFILL_INTERVAL_MS + 1 } } },
    'credits.refill.intervalMs',
    'credits.refill.interval_ms',
  ],
  ['allowed IPs not a list', { allowed_ips: '10.0.0.0/8' }, 'allowedIps', 'allowed_ips'],
  ['an empty allow-list', { allowed_ips: [] }, 'allowedIps', 'allowed_ips'],
  ['too many addresses', { allowed_ips: ips(MAX_IP_RULES + 1) }, 'allowedIps', 'allowed_ips'],
  [
    'host bits after the prefix',
    { allowed_ips: ['10.0.0.0/8', '10.0.0.1/8'] },
    'allowedIps[1]',
    'allowed_ips[1]',
  ],
  ['not an address', { allowed_ips: ['localhost'] }, 'allowedIps[0]', 'allowed_ips[0]'],
  ['a prefix out of range', { allowed_ips: ['10.0.0.0/33'] }, 'allowedIps[0]', 'allowed_ips[0]'],
]

// The body in the JavaScript API's spelling (`window_ms` → `windowMs`), values untouched.
function inDomainSpelling(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inDomainSpelling)
  if (typeof value !== 'object' || value === null) return value
  return Object.fromEntries(
    Object.entries(value).map(([name, v]) => [
      name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
      inDomainSpelling(v),
    ]),
  )
}

// The field a wire client hears about: named while reading the wire, or by the service and
// then translated, as the HTTP layer does.
function wireField(
  schema: typeof KEY_FIELDS | typeof ORGANISATION_FIELDS,
  body: object,
  mode: 'create' | 'patch',
) {
  let input: Record<string, unknown>
  try {
    input = inputFromWire(schema, body, mode)
  } catch (error) {
    return (error as KeycycleError).details.field
  }
  const error = caught(() => parseInput(schema, input, mode, ADMIN))
  return wirePath(schema, error.details.field!)
}

describe('usage control fields: validation', () => {
  it.each(REFUSED)('%s: validation naming the field in both spellings', (_what, body, js, wire) => {
    for (const mode of ['create', 'patch'] as const) {
      const error = caught(() => parseInput(KEY_FIELDS, inDomainSpelling(body), mode, ADMIN))
      expect(error).toMatchObject({ code: 'validation', details: { field: js } })
      expect(error.message.startsWith(`${js}: `)).toBe(true)
      expect(wireField(KEY_FIELDS, body, mode)).toBe(wire)
    }
    // The organisation's rate limits and allow-list follow the same rules.
    if (!('credits' in body)) {
      const error = caught(() =>
        parseInput(ORGANISATION_FIELDS, inDomainSpelling(body), 'patch', ADMIN),
      )
      expect(error).toMatchObject({ code: 'validation', details: { field: js } })
      expect(wireField(ORGANISATION_FIELDS, body, 'patch')).toBe(wire)
    }
  })

  it('names an unknown member of a record by its wire path when reading the wire', () => {
    for (const [body, wire] of [
      [{ rate_limits: [limit(), limit({ name: 'b', burst: 2 })] }, 'rate_limits[1].burst'],
      [{ rate_limits: [limit({ windowMs: 1000 })] }, 'rate_limits[0].windowMs'],
      [{ credits: { remaining: 1, balance: 2 } }, 'credits.balance'],
      [{ credits: { refill: { amount: 1, intervalMs: 1000 } } }, 'credits.refill.intervalMs'],
    ] as const) {
      expect(caught(() => inputFromWire(KEY_FIELDS, body, 'patch'))).toMatchObject({
        code: 'validation',
        details: { field: wire },
      })
    }
    // And by its domain path in the JavaScript API.
    const domain = caught(() =>
      parseInput(KEY_FIELDS, { rateLimits: [{ ...limit(), window_ms: 1000 }] }, 'patch', ADMIN),
    )
    expect(domain.details.field).toBe('rateLimits[0].window_ms')
  })

  it('accepts every bound, fills the default scope, and normalises addresses', () => {
    const body = {
      rate_limits: [
        limit({ name: 'a'.repeat(32), limit: 1, window_ms: 1000 }),
        limit({
          name: 'b_-9',
          limit: MAX_RATE_LIMIT,
          window_ms: MAX_RATE_LIMIT_WINDOW_MS,
          scope: 'organisation',
        }),
        ...limits(MAX_RATE_LIMITS - 2),
      ],
      credits: {
        remaining: MAX_CREDITS,
        refill: { amount: 0, interval_ms: MAX_REFILL_INTERVAL_MS },
      },
      allowed_ips: [...ips(MAX_IP_RULES - 2), '2001:DB8:0::/32', '::ffff:192.0.2.1'],
    }
    const parsed = parseInput(
      KEY_FIELDS,
      inputFromWire(KEY_FIELDS, body, 'create'),
      'create',
      ADMIN,
    )
    const rateLimits = parsed.rateLimits as { scope: string }[]
    expect(rateLimits).toHaveLength(MAX_RATE_LIMITS)
    expect(rateLimits[0]).toEqual({ name: 'a'.repeat(32), limit: 1, windowMs: 1000, scope: 'key' })
    expect(rateLimits[1]?.scope).toBe('organisation')
    expect(parsed.credits).toEqual({
      remaining: MAX_CREDITS,
      refill: { amount: 0, intervalMs: MAX_REFILL_INTERVAL_MS },
    })
    expect((parsed.allowedIps as string[]).slice(-2)).toEqual(['2001:db8::/32', '192.0.2.1'])
    const low = { credits: { remaining: 0, refill: { amount: 1, interval_ms: 1000 } } }
    expect(parseInput(KEY_FIELDS, inputFromWire(KEY_FIELDS, low, 'patch'), 'patch', ADMIN)).toEqual(
      {
        credits: { remaining: 0, refill: { amount: 1, intervalMs: 1000 } },
      },
    )
  })

  it('takes null (inherit or unlimited) and [] (no limits of its own) as different values', () => {
    const none = { rateLimits: null, credits: null, allowedIps: null }
    expect(parseInput(KEY_FIELDS, none, 'patch', ADMIN)).toEqual(none)
    expect(parseInput(KEY_FIELDS, { rateLimits: [] }, 'patch', ADMIN)).toEqual({ rateLimits: [] })
    expect(parseInput(KEY_FIELDS, { credits: { refill: null } }, 'patch', ADMIN)).toEqual({
      credits: { refill: null },
    })
  })

  it('writes them in wire spelling', () => {
    const domain = {
      rateLimits: [{ name: 'api', limit: 100, windowMs: 60_000, scope: 'key' }],
      credits: { remaining: 5, refill: { amount: 10, intervalMs: 3_600_000 } },
      allowedIps: ['10.0.0.0/8'],
    }
    expect(toWire(KEY_FIELDS, domain)).toEqual({
      rate_limits: [{ name: 'api', limit: 100, window_ms: 60_000, scope: 'key' }],
      credits: { remaining: 5, refill: { amount: 10, interval_ms: 3_600_000 } },
      allowed_ips: ['10.0.0.0/8'],
    })
    expect(
      toWire(KEY_FIELDS, { rateLimits: null, credits: { remaining: 1, refill: null } }),
    ).toEqual({
      rate_limits: null,
      credits: { remaining: 1, refill: null },
    })
  })
})

describe('usage control fields: admin only', () => {
  const values = {
    rateLimits: [{ name: 'api', limit: 100, windowMs: 60_000 }],
    credits: { remaining: 100 },
    allowedIps: ['10.0.0.0/8'],
  }

  it('refuses them to an organisation on create and update, null included, as forbidden', () => {
    for (const [field, value] of Object.entries(values)) {
      for (const mode of ['create', 'patch'] as const) {
        for (const given of [value, null]) {
          const error = caught(() => parseInput(KEY_FIELDS, { [field]: given }, mode, owner))
          expect(error).toMatchObject({ code: 'forbidden', details: { field } })
        }
      }
      expect(parseInput(KEY_FIELDS, { [field]: value }, 'patch', ADMIN)).toHaveProperty(field)
    }
  })

  it('refuses an organisation’s own defaults to it; admins and createOrganisation (host level) set them', () => {
    for (const field of ['rateLimits', 'allowedIps'] as const) {
      const error = caught(() =>
        parseInput(ORGANISATION_FIELDS, { [field]: values[field] }, 'patch', owner),
      )
      expect(error).toMatchObject({ code: 'forbidden', details: { field } })
      expect(
        parseInput(ORGANISATION_FIELDS, { [field]: values[field] }, 'patch', ADMIN),
      ).toHaveProperty(field)
      expect(
        parseInput(ORGANISATION_FIELDS, { [field]: values[field] }, 'create', null),
      ).toHaveProperty(field)
    }
  })
})
