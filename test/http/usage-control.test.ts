import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CreateKeyInput } from '../../src'
import * as expressKit from '../../src/express'
import * as fetchKit from '../../src/fetch'
import { AUDIT, BILLING, call, HOSTS, type Server, startServer } from './hosts'

// Usage control over HTTP (docs/http-hosts.md#usage-control), the same on every host: 429 with
// Retry-After and the draft-ietf-httpapi-ratelimit-headers fields, 403 for an address or a
// permission query, the client's address from the socket unless a proxy is trusted, a cost per
// route, management that spends nothing.

const HOUR = 3_600_000
const TEST_NET = '203.0.113.0/24'

describe.each(HOSTS.map((h) => [h.name, h] as const))('%s: usage control', (_name, host) => {
  let server: Server
  let proxied: Server
  let listed: Server

  // A key of a new organisation with `input` (set by an admin: usage fields are admin only).
  const key = async (server: Server, input: Partial<CreateKeyInput>) => {
    const { organisation } = await server.kc.createOrganisation()
    return (await server.kc.asAdmin('ops').createKey({ organisation: organisation.id, ...input }))
      .token
  }

  beforeAll(async () => {
    server = await startServer(host)
    proxied = await startServer(host, { trustProxy: 1 })
    listed = await startServer(host, { trustProxy: ['127.0.0.1', '10.0.0.0/8'] })
  })
  afterAll(() => Promise.all([server.close(), proxied.close(), listed.close()]))

  it('answers RateLimit-Policy and RateLimit on successes, then 429 rate_limited with Retry-After', async () => {
    const token = await key(server, {
      rateLimits: [
        { name: 'api', limit: 2, windowMs: 60_000 },
        { name: 'burst', limit: 5, windowMs: 1_000 },
      ],
    })
    const policy = '"api";q=2;w=60, "burst";q=5;w=1'
    const first = await call(server, '/whoami', { token })
    expect(first.status).toBe(200)
    expect(first.headers.get('ratelimit-policy')).toBe(policy)
    // One unit of 2 per minute refills in 30 s; one of 5 per second in 200 ms (1 s, rounded up).
    expect(first.headers.get('ratelimit')).toBe('"api";r=1;t=30, "burst";r=4;t=1')
    server.clock.advance(10_000)
    const second = await call(server, '/whoami', { token })
    expect(second.headers.get('ratelimit')).toBe('"api";r=0;t=50, "burst";r=4;t=1')
    const refused = await call(server, '/whoami', { token })
    expect(refused.status).toBe(429)
    expect(refused.body).toEqual({
      error: 'rate_limited',
      message: 'this API key has made too many requests; retry later',
      params: {},
    })
    // The next unit fits once the first one's 30 s are over: 20 s from now.
    expect(refused.headers.get('retry-after')).toBe('20')
    expect(refused.headers.get('ratelimit-policy')).toBe(policy)
    expect(refused.headers.get('ratelimit')).toBe('"api";r=0;t=50, "burst";r=4;t=1')
    server.clock.advance(20_000)
    expect((await call(server, '/whoami', { token })).status).toBe(200)
  })

  it('gives a refused key its policy on a 429 even before any success on this instance', async () => {
    const token = await key(server, { rateLimits: [{ name: 'tiny', limit: 1, windowMs: 90_500 }] })
    await server.kc.verify(token)
    const refused = await call(server, '/whoami', { token })
    expect(refused.status).toBe(429)
    expect(refused.headers.get('ratelimit-policy')).toBe('"tiny";q=1;w=91')
    expect(refused.headers.get('ratelimit')).toBe('"tiny";r=0;t=91')
    expect(refused.headers.get('retry-after')).toBe('91')
  })

  it('answers 429 credits_exhausted with Retry-After until the next refill, and no RateLimit without limits', async () => {
    const token = await key(server, {
      credits: { remaining: 1, refill: { amount: 5, intervalMs: HOUR } },
    })
    const ok = await call(server, '/whoami', { token })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('ratelimit')).toBeNull()
    expect(ok.headers.get('ratelimit-policy')).toBeNull()
    server.clock.advance(1_500)
    const refused = await call(server, '/whoami', { token })
    expect([refused.status, refused.body]).toEqual([
      429,
      { error: 'credits_exhausted', message: 'this API key has no credits left', params: {} },
    ])
    expect(refused.headers.get('retry-after')).toBe(String(Math.ceil((HOUR - 1_500) / 1000)))
    expect(refused.headers.get('ratelimit')).toBeNull()
    // Credits without a refill: waiting cannot help, so no Retry-After.
    const spent = await key(server, { credits: { remaining: 0, refill: null } })
    const never = await call(server, '/whoami', { token: spent })
    expect(never.status).toBe(429)
    expect(never.headers.get('retry-after')).toBeNull()
  })

  it('spends the cost of each route', async () => {
    const token = await key(server, { credits: { remaining: 10, refill: null } })
    for (const left of [7, 4, 1]) {
      const res = await call(server, '/metered', { token })
      expect([res.status, res.body]).toEqual([200, { credits: { remaining: left } }])
    }
    const refused = await call(server, '/metered', { token })
    expect([refused.status, refused.body.error]).toEqual([429, 'credits_exhausted'])
    expect((await call(server, '/whoami', { token })).status).toBe(200)
    expect((await call(server, '/whoami', { token })).status).toBe(429)
  })

  it('answers 403 insufficient_permissions for the permission query a route passes to verify', async () => {
    const refused = await call(server, '/billing', {
      token: await key(server, { permissions: ['reports:read'] }),
    })
    expect([refused.status, refused.body]).toEqual([
      403,
      {
        error: 'insufficient_permissions',
        message: 'this API key lacks a permission this request needs',
        params: {},
      },
    ])
    for (const permissions of [['billing:read'], ['admin'], ['*']]) {
      const ok = await call(server, '/billing', { token: await key(server, { permissions }) })
      expect(ok.status).toBe(200)
    }
  })

  it('requirePermission takes a permission query', async () => {
    const refused = await call(server, '/audit', {
      token: await key(server, { permissions: ['reports:read', 'billing:read'] }),
    })
    expect([refused.status, refused.body]).toEqual([
      403,
      {
        error: 'forbidden',
        message: `this API key lacks the permission ${AUDIT}`,
        params: { permission: AUDIT },
      },
    ])
    for (const permissions of [
      ['reports:read', 'admin'],
      ['reports:*', 'audit:read'],
    ]) {
      const ok = await call(server, '/audit', { token: await key(server, { permissions }) })
      expect(ok.status).toBe(200)
    }
  })

  it('answers 403 ip_forbidden from an address the key does not allow, and ignores X-Forwarded-For by default', async () => {
    const token = await key(server, { allowedIps: [TEST_NET] })
    const forwarded = { 'x-forwarded-for': '203.0.113.9' }
    for (const path of ['/whoami', '/key']) {
      const refused = await call(server, path, { token, headers: forwarded })
      expect([refused.status, refused.body]).toEqual([
        403,
        {
          error: 'ip_forbidden',
          message: 'this API key may not be used from this address',
          params: {},
        },
      ])
    }
    const local = await key(server, { allowedIps: ['127.0.0.1'] })
    expect((await call(server, '/whoami', { token: local, headers: forwarded })).status).toBe(200)
    expect((await call(server, '/key', { token: local })).status).toBe(200)
  })

  it('reads X-Forwarded-For under trustProxy: a hop count', async () => {
    const token = await key(proxied, { allowedIps: [TEST_NET] })
    const from = (xff: string | string[]) =>
      call(proxied, '/whoami', { token, headers: { 'x-forwarded-for': xff } })
    expect((await from('203.0.113.9')).status).toBe(200)
    expect(
      (await call(proxied, '/key', { token, headers: { 'x-forwarded-for': '203.0.113.9' } }))
        .status,
    ).toBe(200)
    // One trusted hop: only the entry the proxy appended counts, not what the client wrote.
    expect((await from('203.0.113.9, 198.51.100.7')).status).toBe(403)
    expect((await from(['203.0.113.9', '198.51.100.7'])).status).toBe(403)
    expect((await from('198.51.100.7, 203.0.113.9')).status).toBe(200)
    expect((await from('not-an-address')).status).toBe(403)
    expect((await call(proxied, '/whoami', { token })).status).toBe(403)
  })

  it('reads X-Forwarded-For under trustProxy: trusted proxies by address and block', async () => {
    const token = await key(listed, { allowedIps: [TEST_NET] })
    const from = (xff: string) =>
      call(listed, '/whoami', { token, headers: { 'x-forwarded-for': xff } })
    expect((await from('203.0.113.9')).status).toBe(200)
    // Walked back through trusted proxies (10.1.2.3) to the first untrusted address.
    expect((await from('198.51.100.7, 203.0.113.9, 10.1.2.3')).status).toBe(200)
    expect((await from('203.0.113.9, 198.51.100.7, 10.1.2.3')).status).toBe(403)
    expect((await from('203.0.113.9, ::ffff:10.0.0.1')).status).toBe(200)
  })

  it('management calls spend nothing and are never refused for credits or limits, and carry RateLimit', async () => {
    const token = await key(server, {
      credits: { remaining: 1, refill: null },
      rateLimits: [{ name: 'api', limit: 1, windowMs: 60_000 }],
    })
    for (let i = 0; i < 3; i++) {
      const res = await call(server, '/key', { token })
      expect(res.status).toBe(200)
      expect(res.headers.get('ratelimit-policy')).toBe('"api";q=1;w=60')
      expect(res.headers.get('ratelimit')).toBe('"api";r=1;t=0')
    }
    expect((await call(server, '/whoami', { token })).status).toBe(200)
    const afterSpend = await call(server, '/key', { token })
    expect(afterSpend.status).toBe(200)
    expect(afterSpend.headers.get('ratelimit')).toBe('"api";r=0;t=60')
    expect((await call(server, '/keys', { token })).status).toBe(200)
    expect((await call(server, '/whoami', { token })).status).toBe(429)
    const verified = await server.kc.verify(token, { cost: 0 })
    expect(verified.ok && verified.credits).toEqual({ remaining: 0 })
  })

  it('keeps the one 401 for missing and wrong tokens', async () => {
    const missing = await call(server, '/metered')
    const wrong = await call(server, '/metered', { token: 'kc_nope' })
    expect(missing.status).toBe(401)
    expect([wrong.status, wrong.text, wrong.headers.get('www-authenticate')]).toEqual([
      missing.status,
      missing.text,
      missing.headers.get('www-authenticate'),
    ])
  })
})

describe('usage options are checked when the middleware is built', () => {
  it('refuses a bad cost, permission query or trustProxy', () => {
    const kc = {} as Parameters<typeof expressKit.apiKeyAuth>[0]
    expect(() => expressKit.apiKeyAuth(kc, { cost: -1 })).toThrow(/cost/)
    expect(() => expressKit.apiKeyAuth(kc, { cost: 1.5 })).toThrow(/cost/)
    expect(() => expressKit.apiKeyAuth(kc, { permissions: 'a AND' })).toThrow(/permissions/)
    expect(() => expressKit.apiKeyAuth(kc, { trustProxy: -1 })).toThrow(/trustProxy/)
    expect(() => expressKit.apiKeyAuth(kc, { trustProxy: ['nope'] })).toThrow(/trustProxy/)
    expect(() => expressKit.requirePermission('a OR')).toThrow(/permission/)
    expect(() =>
      fetchKit.requirePermission(BILLING.replace('OR', 'XOR'), () => new Response()),
    ).toThrow()
  })
})
