import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hasPermission } from '../../src/http/permissions'
import { call, FRAMEWORKS, type Framework, type Server, startServer } from './servers'

describe('hasPermission', () => {
  it.each([
    [['reports:read'], 'reports:read', true],
    [['reports:read'], 'reports:write', false],
    [['reports:*'], 'reports:read', true],
    [['reports:*'], 'reports:export:csv', true],
    [['reports:*'], 'reports', false],
    [['reports:*'], 'reports:', false],
    [['reports:*'], 'reportsx', false],
    [['reports.*'], 'reports.read', true],
    [['reports/*'], 'reports/read', true],
    [['*'], 'anything:at:all', true],
    [['report*'], 'reports', false],
    [['report*'], 'report*', true],
    [['a*b'], 'axb', false],
    [[], 'reports:read', false],
  ])('%j grants %s: %s', (granted, name, expected) => {
    expect(hasPermission(granted, name)).toBe(expected)
  })
})

describe.each<Framework>(FRAMEWORKS)('%s: requireKey and requirePermission', (framework) => {
  let server: Server
  let org: { token: string }
  const url = (path: string) => server.url + path
  const newOrg = async () => {
    const created = await server.kc.createOrganisation()
    return { id: created.organisation.id, token: created.token }
  }

  beforeAll(async () => {
    server = await startServer(framework)
    org = await newOrg()
  })
  afterAll(() => server.close())

  it('requirePermission answers 403 forbidden without the permission, and passes a wildcard grant', async () => {
    const o = await newOrg()
    const refused = await call(url('/reports'), { token: o.token })
    expect(refused.status).toBe(403)
    expect(refused.body).toEqual({
      error: 'forbidden',
      message: 'this API key lacks the permission reports:read',
      params: { permission: 'reports:read' },
    })
    const granted = await server.kc
      .asAdmin('ops')
      .createKey({ organisation: o.id, permissions: ['reports:*'] })
    const ok = await call(url('/reports'), { token: granted.token })
    expect([ok.status, ok.body]).toEqual([200, { reports: ['reports:*'] }])
    expect((await call(url('/reports'))).status).toBe(401)
  })

  it('requireKey fails closed with 401 where apiKeyAuth did not run', async () => {
    const res = await call(url('/unguarded'), { token: org.token })
    expect(res.status).toBe(401)
    expect(res.text).not.toContain(org.token)
  })
})
