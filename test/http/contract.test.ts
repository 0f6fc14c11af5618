import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ADMIN_TOKEN, call, HOSTS, type Server, send, startServer } from './hosts'

const admin = { 'x-admin-token': ADMIN_TOKEN }
const UNKNOWN_KEY = 'key_01JAAAAAAAAAAAAAAAAAAAAAAA'

// Every route of the management router, by method, with `ID` for a key ID.
const WRITES: [string, string][] = [
  ['POST', '/keys'],
  ['POST', '/keys/ID'],
  ['POST', '/keys/ID/rotate'],
  ['POST', '/keys/ID/deactivate'],
  ['POST', '/keys/ID/activate'],
  ['POST', '/keys/ID/block'],
  ['POST', '/keys/ID/unblock'],
  ['POST', '/organisation'],
  ['PATCH', '/api-keys/ID'],
  ['PATCH', '/api/v1//api-keys/ID'],
  ['DELETE', '/keys/ID'],
]
const READS: [string, string][] = [
  ['GET', '/keys'],
  ['GET', '/keys/ID'],
  ['GET', '/keys/ID/config'],
  ['GET', '/key'],
  ['GET', '/organisation'],
]
// Paths the router owns but serves no route at, and methods no route takes.
const UNROUTED: [string, string][] = [
  ['GET', '/keys/garbage/whatever'],
  ['DELETE', '/keys'],
  ['PUT', '/keys/ID'],
  ['GET', '/api-keys'],
  ['GET', '/api-keys/ID'],
  ['POST', '/key'],
  ['DELETE', '/organisation'],
  ['GET', '/keys/'],
  ['GET', '/api/v1/keys/garbage'],
]

/** Status, headers (less the date) and body of a response, for byte-for-byte comparison. */
function fingerprint(res: { status: number; headers: Headers; text: string }) {
  const headers = [...res.headers].filter(([name]) => name !== 'date')
  return { status: res.status, headers, text: res.text }
}

// ricloud-py 3.2, `RequestError.parse_content`: `error`, `message` and `params` are read from
// the top level of the JSON body, each `None` when absent.
function ricloudParseContent(content: string) {
  const data = JSON.parse(content)
  return [data.error ?? null, data.message ?? null, data.params ?? null] as const
}

describe.each(HOSTS.map((h) => [h.name, h] as const))(
  '%s: the management API contract',
  (_name, host) => {
    let server: Server
    let org: { id: string; keyId: string; token: string }
    const at = (path: string, id: string) => path.replace('ID', id)

    async function newOrg() {
      const created = await server.kc.createOrganisation()
      return { id: created.organisation.id, keyId: created.key.id, token: created.token }
    }

    beforeAll(async () => {
      server = await startServer(host)
      org = await newOrg()
    })
    afterAll(() => server.close())

    describe('authentication comes before routing', () => {
      it('answers every router path and method without a credential with one identical 401', async () => {
        const answers = []
        for (const [method, path] of [...WRITES, ...READS, ...UNROUTED]) {
          for (const headers of [{}, { authorization: 'Token nope' }]) {
            const res = await call(server, at(path, org.keyId), {
              method,
              headers: { ...headers, 'content-type': 'application/json' },
              ...(method === 'GET' ? {} : { body: '{"name": "x"}' }),
            })
            answers.push({ method, path, ...fingerprint(res) })
          }
        }
        const first = answers[0]!
        expect(first.status).toBe(401)
        expect(JSON.parse(first.text)).toEqual({
          error: 'unauthorized',
          message: 'a valid API key is required',
          params: {},
        })
        for (const { method, path, ...answer } of answers) {
          expect(answer, `${method} ${path}`).toEqual({
            status: first.status,
            headers: first.headers,
            text: first.text,
          })
        }
        // apiKeyAuth on the host's own route gives the very same answer.
        expect(fingerprint(await call(server, '/whoami'))).toEqual({
          status: first.status,
          headers: first.headers,
          text: first.text,
        })
      })

      it('passes other paths on to the host, unauthenticated or not', async () => {
        expect((await call(server, '/elsewhere')).status).toBe(404)
        expect((await call(server, '/keysmith')).status).toBe(404)
        expect((await call(server, '/organisation/members')).status).toBe(404)
      })

      it('answers an authenticated request for an unknown subpath 404 and a missing method 405', async () => {
        const unknown = await call(server, '/keys/garbage/whatever', { token: org.token })
        expect([unknown.status, unknown.body.error]).toEqual([404, 'not_found'])
        const method = await call(server, '/keys', { method: 'DELETE', token: org.token })
        expect([method.status, method.body.error]).toEqual([405, 'method_not_allowed'])
        expect(method.headers.get('allow')).toBe('GET, POST')
      })

      it('counts an admin recognised by isAdmin as authenticated', async () => {
        const res = await call(server, `/keys/${org.keyId}`, { headers: admin })
        expect([res.status, res.body.id]).toEqual([200, org.keyId])
        const unknown = await call(server, '/keys/garbage/whatever', { headers: admin })
        expect(unknown.status).toBe(404)
      })
    })

    describe('one credential, and only one', () => {
      it('refuses a repeated Authorization header (two header lines) with the 401, without a store call', async () => {
        const single = await send(server, {
          path: '/whoami',
          headers: { authorization: `Token ${org.token}` },
        })
        expect(single.status).toBe(200)
        const before = server.store.calls()
        const twice = { authorization: [`Token ${org.token}`, `Token ${org.token}`] }
        const unauthenticated = await send(server, { path: '/whoami' })
        for (const path of ['/whoami', '/keys', `/keys/${org.keyId}`]) {
          const res = await send(server, { path, headers: twice })
          expect(res.status, path).toBe(401)
          expect(res.text).toBe(unauthenticated.text)
        }
        const other = { authorization: [`Token ${org.token}`, 'Token something-else'] }
        expect((await send(server, { path: '/keys', headers: other })).status).toBe(401)
        expect(server.store.calls()).toBe(before)
      })

      it('refuses every credential header sent twice, as two header lines, in any case', async () => {
        const unauthenticated = await send(server, { path: '/whoami' })
        const before = server.store.calls()
        const cases: Parameters<typeof send>[1][] = [
          { path: '/whoami', headers: { 'x-api-key': [org.token, org.token] } },
          { path: '/keys', headers: { 'x-ncp-apigw-api-key': [org.token, org.token] } },
          {
            path: '/whoami',
            headers: { authorization: `Token ${org.token}` },
            rawHeaderLines: [`AUTHORIZATION: Token ${org.token}`],
          },
          {
            path: '/keys',
            headers: { 'x-api-key': org.token },
            rawHeaderLines: [`X-Api-Key: ${org.token}`],
          },
        ]
        for (const request of cases) {
          const res = await send(server, request)
          expect([res.status, res.text], JSON.stringify(request.headers)).toEqual([
            401,
            unauthenticated.text,
          ])
        }
        expect(server.store.calls()).toBe(before)
      })

      it('refuses oversize values and control bytes: the 401, or Node’s own 400 or 431 before the host', async () => {
        const unauthenticated = await send(server, { path: '/whoami' })
        const before = server.store.calls()
        const hostile = (value: string) => [`Authorization: Token ${value}`]
        const cases: [string, string[], number[]][] = [
          ['an oversize token', [`X-API-Key: ${'A'.repeat(5000)}`], [401]],
          ['a header over Node’s limit', hostile('A'.repeat(20_000)), [431]],
          ['a NUL byte', hostile(`${org.token}\u0000`), [400]],
          [
            'a control byte',
            hostile(`${org.token.slice(0, 30)}\u0001${org.token.slice(30)}`),
            [400],
          ],
          ['DEL', hostile(`${org.token}\u007f`), [400, 401]],
          ['a bare CR', hostile(`${org.token}\rx`), [400]],
          ['a tab inside', hostile(`${org.token.slice(0, 30)}\t${org.token.slice(30)}`), [401]],
          ['a Latin-1 byte', hostile(`${org.token}\u00e9`), [401]],
        ]
        for (const [name, rawHeaderLines, statuses] of cases) {
          const res = await send(server, { path: '/whoami', rawHeaderLines })
          expect(statuses, `${name}: ${res.status}`).toContain(res.status)
          if (res.status === 401) expect(res.text, name).toBe(unauthenticated.text)
          expect(res.text, name).not.toContain(org.token)
        }
        expect(server.store.calls()).toBe(before)
      })

      it('refuses Authorization and X-API-Key together, even carrying the same token', async () => {
        for (const path of ['/whoami', '/keys']) {
          const res = await call(server, path, {
            headers: { authorization: `Token ${org.token}`, 'x-api-key': org.token },
          })
          expect([res.status, res.body.error], path).toEqual([401, 'unauthorized'])
        }
      })

      it('accepts NCP’s x-ncp-apigw-api-key, and counts it as a credential of its own', async () => {
        const headers = { 'x-ncp-apigw-api-key': org.token }
        expect((await call(server, '/whoami', { headers })).body).toEqual({
          organisation: org.id,
          key: org.keyId,
        })
        expect((await call(server, '/keys', { headers })).status).toBe(200)
        const both = { ...headers, 'x-api-key': org.token }
        expect((await call(server, '/keys', { headers: both })).status).toBe(401)
      })
    })

    describe('a retiring token reads but does not write', () => {
      it('answers every write route 403 retiring_token, changing nothing, and every read 200', async () => {
        const o = await newOrg()
        const spare = await server.kc.asOrganisation(o.id).createKey({ name: 'spare' })
        const rotated = await server.kc.asOrganisation(o.id).rotateKey(o.keyId)
        const old = o.token
        const before = JSON.stringify(await server.kc.asAdmin('ops').getKey(o.keyId))
        const organisationBefore = JSON.stringify(
          await server.kc.asOrganisation(o.id).getOrganisation(),
        )
        for (const [method, path] of WRITES) {
          const res = await call(server, at(path, spare.key.id), {
            method,
            token: old,
            json: path.includes('api-keys') ? { keyType: 'PRIMARY' } : {},
          })
          expect([res.status, res.body.error], `${method} ${path}`).toEqual([403, 'retiring_token'])
          expect(res.body.message).toEqual(expect.any(String))
          expect(res.headers.get('sunset')).toBe(
            new Date(rotated.key.primary.retiringUntil!).toUTCString(),
          )
        }
        expect(JSON.stringify(await server.kc.asAdmin('ops').getKey(o.keyId))).toBe(before)
        expect(JSON.stringify(await server.kc.asOrganisation(o.id).getOrganisation())).toBe(
          organisationBefore,
        )
        expect((await server.kc.asOrganisation(o.id).listKeys()).data).toHaveLength(2)
        for (const [method, path] of READS) {
          const res = await call(server, at(path, spare.key.id), { method, token: old })
          expect(res.status, `${method} ${path}`).toBe(200)
          expect(res.headers.get('sunset')).not.toBeNull()
        }
        const whoami = await call(server, '/whoami', { token: old })
        expect(whoami.status).toBe(200)
        expect(whoami.headers.get('sunset')).not.toBeNull()
        // The current token still writes.
        const write = await call(server, `/keys/${spare.key.id}`, {
          method: 'POST',
          token: rotated.token,
          json: { name: 'renamed' },
        })
        expect([write.status, write.body.name]).toEqual([200, 'renamed'])
      })
    })

    describe('the error body ricloud’s client reads', () => {
      it('names a bad date_expires by its wire name in params and message', async () => {
        const res = await call(server, `/keys/${org.keyId}`, {
          method: 'POST',
          headers: admin,
          json: { date_expires: 'tomorrow' },
        })
        expect(res.status).toBe(400)
        expect(res.body).toEqual({
          error: 'validation',
          message: expect.stringMatching(/^date_expires: /),
          params: { field: 'date_expires' },
        })
        expect(res.text).not.toContain('expiresAt')
      })

      it('names a domain field by its wire name when the service refuses it', async () => {
        const res = await call(server, `/keys/${org.keyId}`, {
          method: 'POST',
          headers: admin,
          json: { date_expires: new Date(server.clock.now() - 1000).toISOString() },
        })
        expect([res.status, res.body.params]).toEqual([400, { field: 'date_expires' }])
        expect(res.body.message).toMatch(/^date_expires: /)
      })

      it('carries from, to and actor in params for a refused transition', async () => {
        const o = await newOrg()
        const res = await call(server, `/keys/${o.keyId}/activate`, {
          method: 'POST',
          token: o.token,
        })
        expect(res.status).toBe(409)
        expect(res.body).toMatchObject({
          error: 'invalid_transition',
          params: { from: 'active', to: 'active', actor: 'organisation' },
        })
      })

      it('parses as ricloud-py’s RequestError does, with a non-empty message equal to ours', async () => {
        const res = await call(server, `/keys/${org.keyId}`, {
          method: 'POST',
          headers: admin,
          json: { date_expires: 'tomorrow' },
        })
        const [error, message, params] = ricloudParseContent(res.text)
        expect(error).toBe('validation')
        expect(message).toEqual(expect.any(String))
        expect(message).not.toBe('')
        expect(message).toBe(res.body.message)
        expect(params).toEqual({ field: 'date_expires' })
        const unauthorized = ricloudParseContent((await call(server, '/keys')).text)
        expect(unauthorized).toEqual(['unauthorized', 'a valid API key is required', {}])
      })
    })

    describe('IDs', () => {
      it.each([
        ['unknown', UNKNOWN_KEY],
        ['malformed', 'not-a-key'],
        ['lower-case', UNKNOWN_KEY.toLowerCase()],
        ['an organisation ID', 'org_01JAAAAAAAAAAAAAAAAAAAAAAA'],
        ['percent-encoded', 'key_%2e%2e'],
      ])('answers an %s ID in the path 404 not_found on every route', async (_name, id) => {
        for (const [method, path] of [
          ['GET', '/keys/ID'],
          ['GET', '/keys/ID/config'],
          ['POST', '/keys/ID'],
          ['POST', '/keys/ID/rotate'],
          ['POST', '/keys/ID/activate'],
          ['PATCH', '/api-keys/ID'],
        ] as const) {
          const res = await call(server, at(path, id), {
            method,
            token: org.token,
            json: path.includes('api-keys')
              ? { keyType: 'PRIMARY' }
              : method === 'POST'
                ? {}
                : undefined,
          })
          expect([res.status, res.body.error], `${method} ${path}`).toEqual([404, 'not_found'])
        }
      })
    })

    describe('bodies', () => {
      it('accepts a JSON body of null as {} (ricloud-py sends it on rotate)', async () => {
        const o = await newOrg()
        const res = await call(server, `/keys/${o.keyId}/rotate`, {
          method: 'POST',
          token: o.token,
          headers: { 'content-type': 'application/json' },
          body: 'null',
        })
        expect(res.status).toBe(200)
        expect(res.body.token).toMatch(/^kc_/)
        const update = await call(server, `/keys/${o.keyId}`, {
          method: 'POST',
          token: res.body.token,
          headers: { 'content-type': 'application/json' },
          body: 'null',
        })
        expect([update.status, update.body.version]).toEqual([200, res.body.version])
      })
    })
  },
)
