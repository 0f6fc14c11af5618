import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, HOSTS, type Server, startServer } from './hosts'

// Metadata, last used and deletion over the wire (`docs/decisions.md#last-used-deletion-and-the-key-limit`, `#wire-api-and-errors`).
describe.each(HOSTS.map((h) => [h.name, h] as const))(
  '%s: key capabilities over HTTP',
  (_name, host) => {
    let server: Server
    let token = ''
    beforeAll(async () => {
      server = await startServer(host)
      token = (await server.kc.createOrganisation()).token
    })
    afterAll(async () => {
      await server.kc.close()
      await server.close()
    })
    const request = (method: string, path: string, json?: unknown) =>
      call(server, path, { method, token, ...(json === undefined ? {} : { json }) })

    it('takes, returns and clears metadata, and names it in a refusal', async () => {
      const metadata = { plan: 'pro', limits: { rps: 50 }, tags: ['ü', '鍵'] }
      const created = await request('POST', '/keys', { name: 'ci', metadata })
      expect(created.status).toBe(201)
      expect(created.body.metadata).toEqual(metadata)
      const id = created.body.id as string
      expect((await request('GET', `/keys/${id}`)).body.metadata).toEqual(metadata)
      const tooBig = await request('POST', `/keys/${id}`, { metadata: { pad: 'x'.repeat(5000) } })
      expect(tooBig.status).toBe(400)
      expect(tooBig.body).toMatchObject({ error: 'validation', params: { field: 'metadata' } })
      const nested = await request('POST', `/keys/${id}`, { metadata: { a: { b: [1, 'x'] } } })
      expect(nested.status).toBe(200)
      expect((await request('POST', `/keys/${id}`, { metadata: null })).body.metadata).toBeNull()
    })

    it('shows date_last_used per slot once verifications are flushed', async () => {
      const own = await request('GET', '/key')
      expect(own.status).toBe(200)
      expect(own.body.primary).toMatchObject({
        date_last_used: null,
        date_retiring_last_used: null,
      })
      await server.kc.flushUsage() // the request above authenticated with the token: one use
      const after = (await request('GET', '/key')).body.primary
      expect(after.date_last_used).toBe(new Date(server.clock.now()).toISOString())
    })

    it('deletes a key: DELETE answers its ID, then it is gone from reads, lists and auth', async () => {
      const created = await request('POST', '/keys', { name: 'to delete' })
      const id = created.body.id as string
      const deleted = await request('DELETE', `/keys/${id}`)
      expect([deleted.status, deleted.body]).toEqual([200, { id, resource: 'key', deleted: true }])
      expect((await request('GET', `/keys/${id}`)).status).toBe(404)
      expect((await request('DELETE', `/keys/${id}`)).status).toBe(404)
      const list = (await request('GET', '/keys?limit=100')).body.data as { id: string }[]
      expect(list.map((k) => k.id)).not.toContain(id)
      expect((await call(server, '/key', { token: created.body.token })).status).toBe(401)
    })

    it('serves GET /openapi.json without a key where the router is mounted, when asked', async () => {
      const documented = await startServer(host, { openapi: true })
      try {
        for (const path of ['/openapi.json', '/api/v1/openapi.json']) {
          const res = await call(documented, path)
          expect([res.status, res.body.openapi], path).toEqual([
            200,
            expect.stringMatching(/^3\.1/),
          ])
        }
        expect((await call(documented, '/openapi.json', { method: 'POST' })).status).toBe(404)
      } finally {
        await documented.close()
      }
      expect((await call(server, '/openapi.json')).status).toBe(404)
    })
  },
)
