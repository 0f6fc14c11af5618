import type { AddressInfo } from 'node:net'
import express from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStore } from '../../adapters/memory'
import { createKeycycle, type KeyStore } from '../../src'
import { keysRouter } from '../../src/express'
import { routeTable } from '../../src/http/routes'
import { pathTemplate } from '../../src/openapi'
import { OPERATIONS } from '../../src/openapi/operations'
import { responseValidator, type SeenResponse } from './validate'

// Real responses of the management router, over HTTP, each checked against the document as it
// is seen: every route, its success, and the error statuses a client can meet.

const ADMIN = 'x-admin'
const validator = responseValidator()

// A store that can be taken down: every call then fails, which the service answers `unavailable`.
function switchable(inner: KeyStore) {
  const state = { down: false }
  const store = {} as Record<string, unknown>
  for (const [name, fn] of Object.entries(inner)) {
    if (typeof fn !== 'function') continue
    store[name] = (...args: unknown[]) => {
      if (state.down) return Promise.reject(new Error('store down'))
      return (fn as (...a: unknown[]) => unknown).apply(inner, args)
    }
  }
  return { store: store as unknown as KeyStore, state }
}

let url = ''
let close = () => {}
const { store, state } = switchable(memoryStore())
const kc = createKeycycle({ store, storeTimeoutMs: 200 })

beforeAll(async () => {
  const app = express()
  const isAdmin = (req: { headers: Record<string, unknown> }) => {
    if (req.headers[ADMIN] === 'throw') throw new Error('isAdmin broke')
    return req.headers[ADMIN] === 'yes' ? 'ops' : false
  }
  const options = { openapi: true, isAdmin, onError: () => {} }
  app.use(keysRouter(kc, options))
  app.use('/api/v1', keysRouter(kc, options))
  const listener = app.listen(0)
  await new Promise((resolve) => listener.once('listening', resolve))
  url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`
  close = () => listener.close()
})
afterAll(() => close())

type Init = { token?: string; admin?: boolean | 'throw'; json?: unknown }

/** Sends a request, checks the response against the document, and returns it. */
async function send(
  method: string,
  path: string,
  init: Init = {},
): Promise<SeenResponse & { headers: Headers }> {
  const headers: Record<string, string> = {}
  if (init.token) headers.authorization = `Token ${init.token}`
  if (init.admin) headers[ADMIN] = init.admin === true ? 'yes' : 'throw'
  if (init.json !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(url + path, {
    method,
    headers,
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  })
  const text = await response.text()
  const seen = {
    method,
    path,
    status: response.status,
    headers: response.headers,
    body: text === '' ? null : JSON.parse(text),
  }
  validator.expectValid(seen)
  return seen
}

const body = (response: SeenResponse) => response.body as Record<string, unknown>

describe('responses of the management API match the OpenAPI document', () => {
  let org: { id: string; keyId: string; token: string }

  beforeAll(async () => {
    const created = await kc.createOrganisation()
    org = { id: created.organisation.id, keyId: created.key.id, token: created.token }
  })

  it('serves the document without a credential, and it is the generated one', async () => {
    const response = await send('GET', '/openapi.json')
    expect(response.status).toBe(200)
    expect(body(response).openapi).toBe('3.1.0')
    expect((await send('GET', '/api/v1/openapi.json')).status).toBe(200)
  })

  it('every route: success responses', async () => {
    const created = await send('POST', '/keys', { token: org.token, json: { name: 'ci' } })
    expect(created.status).toBe(201)
    const id = body(created).id as string
    expect((await send('GET', '/keys?limit=2', { token: org.token })).status).toBe(200)
    expect((await send('GET', `/keys/${id}`, { token: org.token })).status).toBe(200)
    const patch = { webhook_config: 2, config: { publish_source_files: true }, description: 'x' }
    expect((await send('POST', `/keys/${id}`, { token: org.token, json: patch })).status).toBe(200)
    expect((await send('GET', `/keys/${id}/config`, { token: org.token })).status).toBe(200)
    await kc.verify(org.token)
    await kc.flushUsage()
    const counts = await send('GET', `/keys/${id}/usage?granularity=day`, { token: org.token })
    expect(counts.status).toBe(200)
    expect((await send('POST', `/keys/${id}/deactivate`, { token: org.token })).status).toBe(200)
    expect((await send('POST', `/keys/${id}/activate`, { token: org.token })).status).toBe(200)
    expect((await send('POST', `/keys/${id}/block`, { admin: true })).status).toBe(200)
    expect((await send('POST', `/keys/${id}/unblock`, { admin: true })).status).toBe(200)
    const ncp = { json: { keyType: 'SECONDARY' }, token: org.token }
    expect((await send('PATCH', `/api/v1//api-keys/${id}`, ncp)).status).toBe(200)
    expect((await send('POST', `/keys/${id}/rotate`, { token: org.token })).status).toBe(200)
    expect((await send('GET', '/key', { token: org.token })).status).toBe(200)
    expect((await send('GET', '/organisation', { token: org.token })).status).toBe(200)
    const defaults = { json: { storage_config: 'eu', config: { publish_source_files: null } } }
    expect((await send('POST', '/organisation', { ...defaults, token: org.token })).status).toBe(
      200,
    )
    const trial = { organisation: org.id, type: 'trial', permissions: ['reports:read'] }
    expect((await send('POST', '/keys', { admin: true, json: trial })).status).toBe(201)
    const adminList = `/keys?organisation=${org.id}&type=trial&state=active`
    expect((await send('GET', adminList, { admin: true })).status).toBe(200)
    const adminOrg = `/organisation?organisation=${org.id}`
    expect((await send('GET', adminOrg, { admin: true })).status).toBe(200)
    const usage = {
      rate_limits: [
        { name: 'api', limit: 100, window_ms: 60_000 },
        { name: 'shared', limit: 1000, window_ms: 60_000, scope: 'organisation' },
      ],
      credits: { remaining: 100, refill: { amount: 100, interval_ms: 86_400_000 } },
      allowed_ips: ['10.0.0.0/8', '2001:db8::/32'],
    }
    // On another organisation's keys, read by an admin: an allow-list holds the keys it covers.
    const other = await kc.createOrganisation()
    const limited = `/keys/${other.key.id}`
    expect((await send('POST', limited, { admin: true, json: usage })).status).toBe(200)
    expect((await send('GET', `${limited}/config`, { admin: true })).status).toBe(200)
    const orgUsage = { json: { rate_limits: [], allowed_ips: ['192.0.2.0/24'] }, admin: true }
    const otherOrg = `/organisation?organisation=${other.organisation.id}`
    expect((await send('POST', otherOrg, orgUsage)).status).toBe(200)
    const json = { organisation: other.organisation.id }
    const plain = await send('POST', '/keys', { admin: true, json })
    const inherited = await send('GET', `/keys/${body(plain).id}/config`, { admin: true })
    expect(body(inherited).allowed_ips).toEqual({ value: ['192.0.2.0/24'], source: 'organisation' })
    const metadata = { json: { metadata: { plan: 'pro', seats: [1, 2] } }, token: org.token }
    expect((await send('POST', `/keys/${id}`, metadata)).status).toBe(200)
    expect((await send('DELETE', `/keys/${id}`, { token: org.token })).status).toBe(200)
  })

  it('a retiring token reads (with Sunset) but may not write', async () => {
    const { key, token } = await kc.asOrganisation(org.id).createKey()
    await send('POST', `/keys/${key.id}/rotate`, { token })
    const read = await send('GET', `/keys/${key.id}`, { token })
    expect(read.status).toBe(200)
    const write = await send('POST', `/keys/${key.id}`, { token, json: { name: 'n' } })
    expect([write.status, body(write).error]).toEqual([403, 'retiring_token'])
  })

  it('error statuses: 400, 401, 403, 404, 405, 409', async () => {
    const { token } = org
    const cases: [string, string, Init, number, string][] = [
      ['POST', '/keys', { token, json: { nope: 1 } }, 400, 'validation'],
      ['POST', '/keys', { token, json: { date_expires: 'tomorrow' } }, 400, 'validation'],
      ['GET', '/keys?limit=0', { token }, 400, 'validation'],
      ['GET', '/key', { admin: true }, 400, 'validation'],
      ['PATCH', `/api-keys/${org.keyId}`, { token, json: { keyType: 'X' } }, 400, 'validation'],
      ['GET', '/keys', {}, 401, 'unauthorized'],
      ['POST', '/keys/anything/else', { token: 'kc_not_a_token' }, 401, 'unauthorized'],
      ['POST', '/keys', { token, json: { type: 'trial' } }, 403, 'forbidden'],
      ['POST', `/keys/${org.keyId}/block`, { token }, 403, 'forbidden'],
      ['GET', '/keys/key_nope', { token }, 404, 'not_found'],
      ['GET', '/keys/key_nope/config', { token }, 404, 'not_found'],
      ['POST', `/keys/${org.keyId}/frobnicate`, { token }, 404, 'not_found'],
      ['PUT', `/keys/${org.keyId}`, { token }, 405, 'method_not_allowed'],
      ['POST', `/keys/${org.keyId}/activate`, { token }, 409, 'invalid_transition'],
    ]
    for (const [method, path, init, status, code] of cases) {
      const response = await send(method, path, init)
      expect([method, path, response.status, body(response).error]).toEqual([
        method,
        path,
        status,
        code,
      ])
    }
  })

  it('error statuses: 409 lockout, 403 for a refused key', async () => {
    const created = await kc.createOrganisation()
    const { token } = created
    const lockout = await send('POST', `/keys/${created.key.id}/deactivate`, { token })
    expect([lockout.status, body(lockout).error]).toEqual([409, 'lockout'])
    const json = { allow_lockout: true }
    await send('POST', `/keys/${created.key.id}/deactivate`, { token, json })
    const refused = await send('GET', '/keys', { token })
    expect([refused.status, body(refused).error]).toEqual([403, 'deactivated'])
  })

  it('error statuses: 500 and 503', async () => {
    const internal = await send('GET', '/organisation', { admin: 'throw' })
    expect([internal.status, body(internal).error]).toEqual([500, 'internal'])
    state.down = true
    try {
      const unavailable = await send('GET', '/keys', { token: org.token })
      expect([unavailable.status, body(unavailable).error]).toEqual([503, 'unavailable'])
      expect(unavailable.headers.get('retry-after')).toBe('1')
    } finally {
      state.down = false
    }
  })

  it('the validator finds what does not match', async () => {
    const good = await send('GET', `/keys/${org.keyId}`, { token: org.token })
    const check = (change: Partial<SeenResponse>) => validator.problems({ ...good, ...change })
    expect(check({})).toEqual([])
    expect(check({ body: { ...body(good), extra: 1 } })!.join()).toMatch(/additional/)
    expect(check({ body: { ...body(good), state: 'lost' } })!.join()).toMatch(/state/)
    expect(check({ status: 202 })!.join()).toMatch(/202 is not documented/)
    const wrongCode = { status: 404, body: { error: 'conflict', message: '', params: {} } }
    expect(check(wrongCode)!.join()).toMatch(/allowed values {"allowedValues":\["not_found"\]}/)
    expect(check({ path: '/whoami' })).toBeNull()
  })

  it('leaves alone what the host answered itself, when told', async () => {
    const hosts = responseValidator({ ignore: (r) => r.status === 418 })
    const own = { method: 'GET', path: '/keys', status: 418, body: { host: 'boom' } }
    expect(hosts.problems(own)).toBeNull()
    expect(validator.problems(own)).toEqual(['GET /keys → 418: status 418 is not documented'])
  })

  it('saw every documented operation succeed', () => {
    const routed = routeTable().flatMap(({ pattern, methods }) =>
      methods.map((method) => `${method} ${pathTemplate(pattern)}`),
    )
    for (const operation of [...routed, 'GET /openapi.json']) {
      const doc = OPERATIONS[operation]
      const status = doc?.success.status ?? 200
      expect(validator.seen, operation).toContain(`${operation} ${status}`)
    }
  })
})
