import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signRequest } from '../../src/sign'
import { call, HOSTS, type Sent, type Server, startServer } from './hosts'

// Signed requests (NCP signature v2) as every host's `apiKeyAuth` and `keysRouter` take them.
// Signatures are made here with node:crypto's createHmac from NCP's published algorithm,
// independently of keycycle/sign, except where keycycle/sign itself is the point.

const MINUTE = 60_000

function ncpHeaders(method: string, target: string, at: number, keyId: string, secret: string) {
  const message = `${method} ${target}\n${at}\n${keyId}`
  return {
    'x-ncp-apigw-timestamp': String(at),
    'x-ncp-iam-access-key': keyId,
    'x-ncp-apigw-signature-v2': createHmac('sha256', secret).update(message).digest('base64'),
  }
}

// The one 401 of the hosts: the same status, body and challenge as a request with no credential.
function expectSameRefusal(res: Sent, baseline: Sent): void {
  expect(res.status).toBe(401)
  expect(res.text).toBe(baseline.text)
  expect(res.headers.get('www-authenticate')).toBe(baseline.headers.get('www-authenticate'))
  expect(res.headers.get('content-type')).toBe(baseline.headers.get('content-type'))
}

describe.each(HOSTS.map((h) => [h.name, h] as const))('%s: signed requests', (_name, host) => {
  let server: Server
  let keyId: string
  let token: string
  let target: string
  let bare: Sent
  let bareWhoami: Sent

  beforeAll(async () => {
    server = await startServer(host)
    const o = await server.kc.createOrganisation()
    const created = await server.kc
      .asAdmin('ops')
      .createKey({ organisation: o.key.organisation, signing: true })
    keyId = created.key.id
    token = created.token
    target = `/api/v1//api-keys/${keyId}`
    bare = await call(server, target, { method: 'PATCH', json: { keyType: 'SECONDARY' } })
    bareWhoami = await call(server, '/whoami')
  })
  afterAll(() => server.close())

  const patch = (headers: Record<string, string>, path = target) =>
    call(server, path, { method: 'PATCH', headers, json: { keyType: 'SECONDARY' } })
  const now = () => server.clock.now()

  it('keysRouter accepts the NCP regeneration signed over its double-slash target', async () => {
    const res = await patch(ncpHeaders('PATCH', target, now(), keyId, token))
    expect(res.status).toBe(200)
    expect(res.body.apiKey).toMatchObject({
      apiKeyId: keyId,
      secondaryKey: expect.stringMatching(/^kc_/),
      domainCode: 'PUB',
    })
  })

  it('keycycle/sign’s headers pass apiKeyAuth, with a query in the target', async () => {
    const path = '/whoami?view=full&x=%2F'
    const headers = await signRequest({
      method: 'GET',
      target: path,
      accessKey: keyId,
      secretKey: token,
      timestamp: now(),
    })
    const res = await call(server, path, { headers: { ...headers } })
    expect(res.status).toBe(200)
    expect(res.body.key).toBe(keyId)
  })

  it('refuses with the one 401 a timestamp 5 min + 1 ms old', async () => {
    const stale = ncpHeaders('PATCH', target, now() - 5 * MINUTE - 1, keyId, token)
    expectSameRefusal(await patch(stale), bare)
    const old = ncpHeaders('GET', '/whoami', now() - 5 * MINUTE - 1, keyId, token)
    expectSameRefusal(await call(server, '/whoami', { headers: old }), bareWhoami)
  })

  it('refuses another method or another path (the single-slash one too)', async () => {
    expectSameRefusal(await patch(ncpHeaders('POST', target, now(), keyId, token)), bare)
    const single = `/api/v1/api-keys/${keyId}`
    expectSameRefusal(await patch(ncpHeaders('PATCH', single, now(), keyId, token)), bare)
    const other = ncpHeaders('GET', '/reports', now(), keyId, token)
    expectSameRefusal(await call(server, '/whoami', { headers: other }), bareWhoami)
  })

  it('refuses a replay of an accepted signature', async () => {
    const headers = ncpHeaders('GET', '/whoami', now() + 1, keyId, token)
    expect((await call(server, '/whoami', { headers })).status).toBe(200)
    expectSameRefusal(await call(server, '/whoami', { headers }), bareWhoami)
  })

  it('refuses a request missing one of the three headers', async () => {
    for (const name of Object.keys(ncpHeaders('GET', '/whoami', 0, keyId, token))) {
      const headers: Record<string, string> = ncpHeaders('GET', '/whoami', now() + 2, keyId, token)
      delete headers[name]
      expectSameRefusal(await call(server, '/whoami', { headers }), bareWhoami)
    }
  })

  it('refuses a signature with a token beside it: two credentials', async () => {
    for (const extra of [
      { authorization: `Bearer ${token}` },
      { 'x-api-key': token },
      { 'x-ncp-apigw-api-key': token },
    ]) {
      const signed = ncpHeaders('GET', '/whoami', now() + 3, keyId, token)
      expectSameRefusal(
        await call(server, '/whoami', { headers: { ...signed, ...extra } }),
        bareWhoami,
      )
      const signedPatch = ncpHeaders('PATCH', target, now() + 3, keyId, token)
      expectSameRefusal(await patch({ ...signedPatch, ...extra }), bare)
    }
  })

  it('answers a blocked key’s signed request with 403, as for a token', async () => {
    const o = await server.kc.createOrganisation()
    const created = await server.kc
      .asAdmin('ops')
      .createKey({ organisation: o.key.organisation, signing: true })
    await server.kc.asAdmin('ops').blockKey(created.key.id)
    const headers = ncpHeaders('GET', '/whoami', now(), created.key.id, created.token)
    const res = await call(server, '/whoami', { headers })
    expect(res.status).toBe(403)
    expect(res.body.error).toBe('blocked')
  })
})
