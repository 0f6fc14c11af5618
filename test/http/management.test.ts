import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStore } from '../../adapters/memory'
import { asyncOnly } from '../helpers/async-only'
import { HOUR } from '../helpers/clock'
import { ADMIN_TOKEN, type CallInit, call, HOSTS, type Server, startServer } from './hosts'

const admin = { 'x-admin-token': ADMIN_TOKEN }

describe.each(HOSTS.map((h) => [h.name, h] as const))('%s', (_name, host) => {
  let server: Server
  let org: { id: string; keyId: string; token: string }

  beforeAll(async () => {
    server = await startServer(host)
    const created = await server.kc.createOrganisation()
    org = { id: created.organisation.id, keyId: created.key.id, token: created.token }
  })
  afterAll(() => server.close())

  async function newOrg() {
    const created = await server.kc.createOrganisation()
    return { id: created.organisation.id, keyId: created.key.id, token: created.token }
  }

  describe('the seeds, as written', () => {
    it('POST /keys with the ricloud body (trailing comma and all) creates a key and returns its token once', async () => {
      const res = await call(server, '/keys', {
        method: 'POST',
        token: org.token,
        headers: { 'content-type': 'application/json' },
        body: '{\n  "storage_config": 2,\n}',
      })
      expect(res.status).toBe(201)
      expect(res.body).toMatchObject({
        resource: 'key',
        organisation: org.id,
        type: 'standard',
        state: 'active',
        storage_config: 2,
      })
      expect(res.body.token).toMatch(/^kc_[0-9A-Z]{26}_[0-9A-Za-z]{49}$/)
      const read = await call(server, `/keys/${res.body.id}`, { token: org.token })
      expect(read.status).toBe(200)
      expect(read.body).not.toHaveProperty('token')
      expect(read.body.primary.hint).toBe(`*****${res.body.token.slice(-4)}`)
      expect(read.body.date_created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    })

    it('GET /keys?limit=2 returns a list object', async () => {
      const res = await call(server, '/keys?limit=2', { token: org.token })
      expect(res.status).toBe(200)
      expect(res.body).toMatchObject({
        resource: 'list',
        has_more: expect.any(Boolean),
        url: '/keys',
      })
      expect(res.body.data.length).toBeLessThanOrEqual(2)
    })

    it('POST /keys/{id} with webhook_config updates it, and POST …/rotate mints a token', async () => {
      const updated = await call(server, `/keys/${org.keyId}`, {
        method: 'POST',
        token: org.token,
        json: { webhook_config: 2 },
      })
      expect(updated.status).toBe(200)
      expect(updated.body.webhook_config).toBe(2)
      const rotated = await call(server, `/keys/${org.keyId}/rotate`, {
        method: 'POST',
        token: org.token,
      })
      expect(rotated.status).toBe(200)
      expect(rotated.body.token).toMatch(/^kc_/)
      org.token = rotated.body.token
    })

    it('PATCH /api/v1//api-keys/{id} regenerates in the NCP shape, the other value masked', async () => {
      const o = await newOrg()
      const secondary = await call(server, `/api/v1//api-keys/${o.keyId}`, {
        method: 'PATCH',
        token: o.token,
        json: { keyType: 'SECONDARY' },
      })
      expect(secondary.status).toBe(200)
      const apiKey = secondary.body.apiKey
      expect(Object.keys(secondary.body)).toEqual(['apiKey'])
      expect(Object.keys(apiKey)).toEqual([
        'apiKeyId',
        'tenantId',
        'apiKeyName',
        'apiKeyDescription',
        'primaryKey',
        'secondaryKey',
        'modifier',
        'isEnabled',
        'modTime',
        'domainCode',
      ])
      expect(apiKey).toMatchObject({
        apiKeyId: o.keyId,
        tenantId: o.id,
        apiKeyName: '',
        apiKeyDescription: '',
        primaryKey: `*****${o.token.slice(-4)}`,
        modifier: `organisation:${o.id}`,
        isEnabled: true,
        domainCode: 'PUB',
      })
      expect(apiKey.secondaryKey).toMatch(/^kc_/)
      expect(apiKey.modTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/)
      expect(
        (await call(server, '/whoami', { headers: { 'x-api-key': apiKey.secondaryKey } })).status,
      ).toBe(200)

      const primary = await call(server, `/api-keys/${o.keyId}`, {
        method: 'PATCH',
        token: o.token,
        json: { keyType: 'PRIMARY' },
      })
      expect(primary.body.apiKey.primaryKey).toMatch(/^kc_/)
      expect(primary.body.apiKey.secondaryKey).toBe(`*****${apiKey.secondaryKey.slice(-4)}`)
      expect((await call(server, '/whoami', { token: o.token })).status).toBe(401)
      expect(
        (await call(server, '/whoami', { token: primary.body.apiKey.primaryKey })).status,
      ).toBe(200)
      const bad = await call(server, `/api-keys/${o.keyId}`, {
        method: 'PATCH',
        token: primary.body.apiKey.primaryKey,
        json: { keyType: 'primary' },
      })
      expect(bad.status).toBe(400)
    })
  })

  describe('authentication', () => {
    it('accepts Authorization Token, Bearer and X-API-Key, and exposes the verified key', async () => {
      for (const headers of [
        { authorization: `Token ${org.token}` },
        { authorization: `Bearer ${org.token}` },
        { 'x-api-key': org.token },
      ]) {
        const res = await call(server, '/whoami', { headers })
        expect(res.status).toBe(200)
        expect(res.body).toEqual({ organisation: org.id, key: org.keyId })
      }
    })

    it('answers missing, malformed, unknown and wrong tokens with one identical 401', async () => {
      const other = await startServer(host)
      const foreignToken = (await other.kc.createOrganisation()).token
      await other.close()
      const wrongSecret = `${org.token.slice(0, -8)}AAAAAAAA`
      const cases = [
        {},
        { authorization: 'Token nope' },
        { authorization: `Token ${foreignToken}` },
        { authorization: `Token ${wrongSecret}` },
        { authorization: `Basic ${org.token}` },
      ]
      const answers = []
      for (const headers of cases) {
        const res = await call(server, '/whoami', { headers })
        answers.push({
          status: res.status,
          text: res.text,
          challenge: res.headers.get('www-authenticate'),
          type: res.headers.get('content-type'),
        })
      }
      expect(answers[0]!.status).toBe(401)
      expect(answers[0]!.challenge).toBe('Token realm="keycycle", Bearer realm="keycycle"')
      for (const answer of answers) expect(answer).toEqual(answers[0])
      expect(answers[0]!.text).toBe(
        '{"error":"unauthorized","message":"a valid API key is required","params":{}}',
      )
    })

    it('rejects duplicated, comma-joined, padded and oversize credentials without a store call', async () => {
      const before = server.store.calls()
      const cases = [
        { authorization: `Token ${org.token}, Token ${org.token}` },
        { authorization: `Token  ${org.token}` },
        { authorization: `Token ${org.token}`, 'x-api-key': `${org.token.slice(0, -1)}x` },
        { 'x-api-key': 'A'.repeat(5000) },
        { 'x-api-key': `${org.token.slice(0, 20)} ${org.token.slice(20)}` },
      ]
      for (const headers of cases)
        expect((await call(server, '/whoami', { headers })).status).toBe(401)
      expect(server.store.calls()).toBe(before)
    })

    it('gives 403 with the state for deactivated, blocked and expired keys', async () => {
      const o = await newOrg()
      const spare = await server.kc
        .as({ kind: 'organisation', id: o.id })
        .createKey({ organisation: o.id })
      await server.kc.as({ kind: 'admin', id: 'ops' }).deactivateKey(spare.key.id)
      expect((await call(server, '/whoami', { token: spare.token })).body).toEqual({
        error: 'deactivated',
        message: 'this API key is deactivated',
        params: {},
      })
      await server.kc.as({ kind: 'admin', id: 'ops' }).blockKey(o.keyId)
      const blocked = await call(server, '/key', { token: o.token })
      expect([blocked.status, blocked.body.error]).toEqual([403, 'blocked'])
      const trial = await server.kc
        .as({ kind: 'admin', id: 'ops' })
        .createKey({ organisation: org.id, type: 'trial', expiresAt: server.clock.now() + HOUR })
      server.clock.advance(HOUR)
      const expired = await call(server, '/whoami', { token: trial.token })
      expect([expired.status, expired.body.error]).toEqual([403, 'expired'])
      expect(expired.text).not.toContain(trial.token)
    })

    it('fails closed with 503 when the store does not answer', async () => {
      const store = memoryStore()
      const hanging = {
        ...asyncOnly(store),
        getKeyWithOrganisation: () => new Promise<never>(() => {}),
      }
      const down = await startServer(host, { store: hanging })
      const token = (await down.kc.createOrganisation()).token
      const started = performance.now()
      const res = await call(down, `/whoami`, { token })
      expect(res.status).toBe(503)
      expect(res.body.error).toBe('unavailable')
      expect(performance.now() - started).toBeLessThan(2000)
      expect((await call(down, `/keys`, { token })).status).toBe(503)
      await down.close()
    })
  })

  describe('rotation over HTTP', () => {
    it('keeps the old token working with a Sunset header until the grace deadline', async () => {
      const o = await newOrg()
      const t0 = server.clock.now()
      const rotated = await call(server, `/keys/${o.keyId}/rotate`, {
        method: 'POST',
        token: o.token,
        json: {},
      })
      expect(rotated.body.primary.date_retiring_until).toBe(new Date(t0 + 6 * HOUR).toISOString())
      const old = await call(server, '/whoami', { token: o.token })
      expect(old.status).toBe(200)
      expect(old.headers.get('sunset')).toBe(new Date(t0 + 6 * HOUR).toUTCString())
      const fresh = await call(server, '/whoami', { token: rotated.body.token })
      expect(fresh.headers.get('sunset')).toBeNull()
      server.clock.set(t0 + 6 * HOUR)
      expect((await call(server, '/whoami', { token: o.token })).status).toBe(401)
    })

    it('with force, refuses the old token at once', async () => {
      const o = await newOrg()
      const rotated = await call(server, `/keys/${o.keyId}/rotate`, {
        method: 'POST',
        token: o.token,
        json: { force: true },
      })
      expect(rotated.status).toBe(200)
      expect((await call(server, '/whoami', { token: o.token })).status).toBe(401)
      expect((await call(server, '/whoami', { token: rotated.body.token })).status).toBe(200)
    })
  })

  describe('the management API', () => {
    it('pages both ways with starting_after and ending_before', async () => {
      const o = await newOrg()
      for (let i = 0; i < 4; i++) {
        server.clock.advance(1)
        await call(server, '/keys', { method: 'POST', token: o.token, json: { name: `k${i}` } })
      }
      const all = (await call(server, '/keys?limit=100', { token: o.token })).body.data.map(
        (k: { id: string }) => k.id,
      )
      expect(all).toHaveLength(5)
      const first = await call(server, '/keys?limit=2', { token: o.token })
      expect(first.body.has_more).toBe(true)
      const second = await call(server, `/keys?limit=2&starting_after=${first.body.data[1].id}`, {
        token: o.token,
      })
      const third = await call(server, `/keys?limit=2&starting_after=${second.body.data[1].id}`, {
        token: o.token,
      })
      expect(third.body.has_more).toBe(false)
      expect(
        [...first.body.data, ...second.body.data, ...third.body.data].map(
          (k: { id: string }) => k.id,
        ),
      ).toEqual(all)
      const back = await call(server, `/keys?limit=2&ending_before=${third.body.data[0].id}`, {
        token: o.token,
      })
      expect(back.body.data.map((k: { id: string }) => k.id)).toEqual(all.slice(2, 4))
      expect(back.body.has_more).toBe(true)
      const both = await call(server, `/keys?starting_after=${all[0]}&ending_before=${all[4]}`, {
        token: o.token,
      })
      expect([both.status, both.body.params.field]).toEqual([400, 'ending_before'])
      expect(both.body.message).toBe('ending_before: cannot be combined with the other cursor')
      const filtered = await call(server, '/keys?type=trial&state=active', { token: o.token })
      expect(filtered.body.data).toEqual([])
    })

    it('reverts a field to the organisation default with null', async () => {
      const o = await newOrg()
      await call(server, '/organisation', {
        method: 'POST',
        token: o.token,
        json: { storage_config: 'org-default' },
      })
      await call(server, `/keys/${o.keyId}`, {
        method: 'POST',
        token: o.token,
        json: { storage_config: 5 },
      })
      expect(
        (await call(server, `/keys/${o.keyId}/config`, { token: o.token })).body.storage_config,
      ).toEqual({ value: 5, source: 'key' })
      const reverted = await call(server, `/keys/${o.keyId}`, {
        method: 'POST',
        token: o.token,
        json: { storage_config: null },
      })
      expect(reverted.body.storage_config).toBeNull()
      const effective = await call(server, `/keys/${o.keyId}/config`, { token: o.token })
      expect(effective.body).toMatchObject({
        resource: 'effective_config',
        storage_config: { value: 'org-default', source: 'organisation' },
      })
    })

    it('serves GET /key and the organisation', async () => {
      const me = await call(server, '/key', { token: org.token })
      expect(me.body.id).toBe(org.keyId)
      const o = await call(server, '/organisation', { token: org.token })
      expect(o.body).toMatchObject({ id: org.id, resource: 'organisation' })
      const changed = await call(server, '/organisation', {
        method: 'POST',
        token: org.token,
        json: { config: { publish_source_files: true } },
      })
      expect(changed.body.config).toEqual({ publish_source_files: true })
    })

    it('hides another organisation’s keys as 404, the same as unknown ones', async () => {
      const other = await newOrg()
      const foreign = await call(server, `/keys/${other.keyId}`, { token: org.token })
      const unknown = await call(server, '/keys/key_01JAAAAAAAAAAAAAAAAAAAAAAA', {
        token: org.token,
      })
      expect(foreign.status).toBe(404)
      expect(unknown.status).toBe(404)
      expect(foreign.body.error).toBe('not_found')
      for (const path of [
        `/keys/${other.keyId}/rotate`,
        `/keys/${other.keyId}/deactivate`,
        `/api-keys/${other.keyId}`,
      ]) {
        const res = await call(server, path, {
          method: path.startsWith('/api') ? 'PATCH' : 'POST',
          token: org.token,
          json: path.startsWith('/api') ? { keyType: 'PRIMARY' } : {},
        })
        expect(res.status, path).toBe(404)
      }
      expect((await call(server, '/keys/not-a-key', { token: org.token })).status).toBe(404)
      expect(
        (await call(server, `/keys?organisation=${other.id}`, { token: org.token })).status,
      ).toBe(404)
    })

    it('lets admins (isAdmin) act without a key and use admin-only fields; refuses those fields to organisations', async () => {
      const o = await newOrg()
      const refused = await call(server, '/keys', {
        method: 'POST',
        token: o.token,
        json: { type: 'trial' },
      })
      expect([refused.status, refused.body.error]).toEqual([403, 'forbidden'])
      const trial = await call(server, '/keys', {
        method: 'POST',
        headers: admin,
        json: { organisation: o.id, type: 'trial', permissions: ['beta'] },
      })
      expect(trial.status).toBe(201)
      expect(trial.body).toMatchObject({
        type: 'trial',
        permissions: ['beta'],
        date_expires: new Date(server.clock.now() + 14 * 24 * HOUR).toISOString(),
      })
      expect(
        (await call(server, `/keys/${o.keyId}/block`, { method: 'POST', token: o.token })).status,
      ).toBe(403)
      expect(
        (await call(server, `/keys/${o.keyId}/block`, { method: 'POST', headers: admin })).body
          .state,
      ).toBe('blocked')
      expect(
        (await call(server, `/keys/${o.keyId}/unblock`, { method: 'POST', headers: admin })).body
          .state,
      ).toBe('active')
      expect((await call(server, '/keys', { headers: admin })).status).toBe(400)
      expect(
        (await call(server, `/keys?organisation=${o.id}`, { headers: admin })).body.data,
      ).toHaveLength(2)
    })

    it('answers 409 for refused transitions and the lockout guard', async () => {
      const o = await newOrg()
      const lockout = await call(server, `/keys/${o.keyId}/deactivate`, {
        method: 'POST',
        token: o.token,
      })
      expect([lockout.status, lockout.body.error]).toEqual([409, 'lockout'])
      // Named as this client sends it: the wire field, not the JavaScript option.
      expect(lockout.body.message).toMatch(/pass allow_lockout to deactivate it anyway$/)
      expect(lockout.body.message).not.toContain('allowLockout')
      expect(lockout.body.params).toMatchObject({ field: 'allow_lockout', from: 'active' })
      const twice = await call(server, `/keys/${o.keyId}/activate`, {
        method: 'POST',
        token: o.token,
      })
      expect([twice.status, twice.body.error]).toEqual([409, 'invalid_transition'])
      const allowed = await call(server, `/keys/${o.keyId}/deactivate`, {
        method: 'POST',
        token: o.token,
        json: { allow_lockout: true },
      })
      expect(allowed.body.state).toBe('deactivated')
    })

    it('answers 405 for a known path with another method, and passes unknown paths on', async () => {
      const res = await call(server, '/keys', { method: 'DELETE', token: org.token })
      expect(res.status).toBe(405)
      expect(res.headers.get('allow')).toBe('GET, POST')
      expect((await call(server, '/elsewhere', { token: org.token })).status).toBe(404)
    })
  })

  describe('usage control over the management API', () => {
    const usage = {
      rate_limits: [
        { name: 'api', limit: 100, window_ms: 60_000 },
        { name: 'shared', limit: 1000, window_ms: 3_600_000, scope: 'organisation' },
      ],
      credits: { remaining: 500, refill: { amount: 500, interval_ms: 86_400_000 } },
      allowed_ips: ['10.0.0.0/8', '2001:DB8::/32', '::ffff:192.0.2.1'],
    }

    it('an admin sets rate limits, credits and an allow-list; everyone reads them in wire spelling', async () => {
      const o = await newOrg()
      const created = await call(server, '/keys', {
        method: 'POST',
        headers: admin,
        json: { organisation: o.id, ...usage },
      })
      expect(created.status).toBe(201)
      const shown = {
        rate_limits: [
          { name: 'api', limit: 100, window_ms: 60_000, scope: 'key' },
          { name: 'shared', limit: 1000, window_ms: 3_600_000, scope: 'organisation' },
        ],
        credits: { remaining: 500, refill: { amount: 500, interval_ms: 86_400_000 } },
        allowed_ips: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.1'],
      }
      expect(created.body).toMatchObject(shown)
      const read = await call(server, `/keys/${created.body.id}`, { token: o.token })
      expect(read.body).toMatchObject(shown)
      const updated = await call(server, `/keys/${created.body.id}`, {
        method: 'POST',
        headers: admin,
        json: { credits: { remaining: 20 }, rate_limits: [], allowed_ips: null },
      })
      expect(updated.status).toBe(200)
      expect(updated.body).toMatchObject({
        credits: { remaining: 20, refill: { amount: 500, interval_ms: 86_400_000 } },
        rate_limits: [],
        allowed_ips: null,
      })
    })

    it('refuses them to an organisation with 403 forbidden, on create, update and its own defaults', async () => {
      const o = await newOrg()
      for (const [path, json] of [
        ['/keys', { credits: { remaining: 1 } }],
        [`/keys/${o.keyId}`, { rate_limits: [] }],
        [`/keys/${o.keyId}`, { allowed_ips: null }],
        ['/organisation', { rate_limits: null }],
        ['/organisation', { allowed_ips: ['10.0.0.0/8'] }],
      ] as const) {
        const res = await call(server, path, { method: 'POST', token: o.token, json })
        expect([res.status, res.body.error], path).toEqual([403, 'forbidden'])
        expect(res.body.params.field).toBe(Object.keys(json)[0])
      }
    })

    it('names a bad field by its wire path, index included', async () => {
      const limits = [
        { name: 'a', limit: 1, window_ms: 1000 },
        { name: 'b', limit: 1, window_ms: 1000 },
        { name: 'c', limit: 1, window_ms: 10 },
      ]
      for (const [json, field] of [
        [{ rate_limits: limits }, 'rate_limits[2].window_ms'],
        [{ rate_limits: [limits[0], limits[0]] }, 'rate_limits[1].name'],
        [{ rate_limits: [{ ...limits[0], windowMs: 1000 }] }, 'rate_limits[0].windowMs'],
        [
          { credits: { remaining: 1, refill: { amount: 1, interval_ms: 5 } } },
          'credits.refill.interval_ms',
        ],
        [{ credits: { refill: null } }, 'credits.remaining'],
        [{ allowed_ips: ['10.0.0.0/8', '10.0.0.1/8'] }, 'allowed_ips[1]'],
      ] as const) {
        const res = await call(server, `/keys/${org.keyId}`, {
          method: 'POST',
          headers: admin,
          json,
        })
        expect([res.status, res.body.error, res.body.params.field]).toEqual([
          400,
          'validation',
          field,
        ])
        expect(res.body.message.startsWith(`${field}: `)).toBe(true)
        expect(res.body.message).not.toMatch(/rateLimits|intervalMs|allowedIps/)
      }
    })

    it('serves the organisation’s defaults and each key’s effective values with their source', async () => {
      const o = await newOrg()
      const defaults = await call(server, `/organisation?organisation=${o.id}`, {
        method: 'POST',
        headers: admin,
        json: {
          rate_limits: [{ name: 'org', limit: 50, window_ms: 1000 }],
          allowed_ips: ['192.0.2.0/24'],
        },
      })
      expect(defaults.status).toBe(200)
      expect(defaults.body).toMatchObject({
        rate_limits: [{ name: 'org', limit: 50, window_ms: 1000, scope: 'key' }],
        allowed_ips: ['192.0.2.0/24'],
      })
      // Read by an admin: the organisation's own key is now held to the allow-list.
      const inherited = await call(server, `/keys/${o.keyId}/config`, { headers: admin })
      expect(inherited.body).toMatchObject({
        rate_limits: {
          value: [{ name: 'org', limit: 50, window_ms: 1000, scope: 'key' }],
          source: 'organisation',
        },
        allowed_ips: { value: ['192.0.2.0/24'], source: 'organisation' },
      })
      await call(server, `/keys/${o.keyId}`, {
        method: 'POST',
        headers: admin,
        json: { rate_limits: [] },
      })
      const own = await call(server, `/keys/${o.keyId}/config`, { headers: admin })
      expect(own.body.rate_limits).toEqual({ value: [], source: 'key' })
    })
  })

  describe('bad requests change nothing', () => {
    const cases: [string, string, CallInit][] = [
      [
        'bad JSON',
        '/keys/ID',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": ' },
      ],
      ['wrong type', '/keys/ID', { method: 'POST', json: { name: 42 } }],
      ['unknown field', '/keys/ID', { method: 'POST', json: { colour: 'red' } }],
      ['unknown config field', '/keys/ID', { method: 'POST', json: { config: { publish: true } } }],
      ['config ID as float', '/keys/ID', { method: 'POST', json: { storage_config: 1.5 } }],
      ['bad date', '/keys/ID', { method: 'POST', json: { date_expires: 'tomorrow' } }],
      ['a body that is an array', '/keys/ID', { method: 'POST', json: [1] }],
      ['oversize body', '/keys/ID', { method: 'POST', json: { description: 'x'.repeat(20_000) } }],
      [
        'not JSON',
        '/keys/ID',
        { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'name=x' },
      ],
      ['bad force', '/keys/ID/rotate', { method: 'POST', json: { force: 'yes' } }],
      ['limit 0', '/keys?limit=0', {}],
      ['limit 101', '/keys?limit=101', {}],
      ['unknown filter', '/keys?colour=red', {}],
      ['bad state filter', '/keys?state=gone', {}],
      ['bad keyType', '/api-keys/ID', { method: 'PATCH', json: { keyType: 'TERTIARY' } }],
    ]
    it.each(cases)('%s → 400 with an error body', async (_name, path, init) => {
      const before = JSON.stringify(
        await server.kc.as({ kind: 'admin', id: 'ops' }).getKey(org.keyId),
      )
      const res = await call(server, path.replace('ID', org.keyId), { token: org.token, ...init })
      expect(res.status).toBe(400)
      expect(res.body).toMatchObject({ error: 'validation', message: expect.any(String) })
      expect(res.text).not.toContain(org.token)
      expect(
        JSON.stringify(await server.kc.as({ kind: 'admin', id: 'ops' }).getKey(org.keyId)),
      ).toBe(before)
    })
  })
})
