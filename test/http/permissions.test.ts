import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { permissionGranted } from '../../src/core/permissions'
import { hasPermission } from '../../src/http/permission-checks'
import { call, HOSTS, type Server, startServer } from './hosts'

// The grant rule itself is tested in test/core/permissions.test.ts.
describe('hasPermission', () => {
  it("is the core rule, exported under the hosts' name", () => {
    expect(hasPermission).toBe(permissionGranted)
    expect(hasPermission(['reports:*'], 'reports:read')).toBe(true)
  })
})

describe.each(HOSTS.map((h) => [h.name, h] as const))(
  '%s: requireKey and requirePermission',
  (_name, host) => {
    let server: Server
    let org: { token: string }
    const newOrg = async () => {
      const created = await server.kc.createOrganisation()
      return { id: created.organisation.id, token: created.token }
    }

    beforeAll(async () => {
      server = await startServer(host)
      org = await newOrg()
    })
    afterAll(() => server.close())

    it('requirePermission answers 403 forbidden without the permission, and passes a wildcard grant', async () => {
      const o = await newOrg()
      const refused = await call(server, '/reports', { token: o.token })
      expect(refused.status).toBe(403)
      expect(refused.body).toEqual({
        error: 'forbidden',
        message: 'this API key lacks the permission reports:read',
        params: { permission: 'reports:read' },
      })
      const granted = await server.kc
        .asAdmin('ops')
        .createKey({ organisation: o.id, permissions: ['reports:*'] })
      const ok = await call(server, '/reports', { token: granted.token })
      expect([ok.status, ok.body]).toEqual([200, { reports: ['reports:*'] }])
      expect((await call(server, '/reports')).status).toBe(401)
    })

    // The fetch helpers hand the key to the handler, so there is no request to read it from.
    it.skipIf(!host.requireKey)(
      'requireKey fails closed with 401 where apiKeyAuth did not run',
      async () => {
        const res = await call(server, '/unguarded', { token: org.token })
        expect(res.status).toBe(401)
        expect(res.text).not.toContain(org.token)
      },
    )
  },
)
