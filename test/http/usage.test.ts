import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HOUR, T0 } from '../helpers/clock'
import { ADMIN_TOKEN, call, HOSTS, type Server, startServer } from './hosts'

const admin = { 'x-admin-token': ADMIN_TOKEN }

describe.each(HOSTS.map((h) => [h.name, h] as const))('%s: GET /keys/{id}/usage', (_n, host) => {
  let server: Server

  beforeAll(async () => {
    server = await startServer(host)
  })
  afterAll(() => server.close())

  it('answers the key’s counts by hour and outcome, wire-named, ISO instants', async () => {
    const { key, token } = await server.kc.createOrganisation()
    const other = await server.kc.createOrganisation()
    server.clock.set(T0 + 5 * 60_000)
    await server.kc.verify(token)
    await server.kc.verify(token, { permissions: 'reports:read' })
    server.clock.set(T0 + HOUR)
    await server.kc.flushUsage()
    const from = new Date(T0).toISOString()
    const to = new Date(T0 + 2 * HOUR).toISOString()
    // The request authenticates with the key itself: that verification is counted too, unflushed.
    const res = await call(server, `/keys/${key.id}/usage?from=${from}&to=${to}`, { token })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      resource: 'key_usage',
      key: key.id,
      granularity: 'hour',
      from,
      to,
      buckets: [
        { start: from, counts: { success: 1, insufficient_permissions: 1, total: 2 } },
        { start: new Date(T0 + HOUR).toISOString(), counts: { total: 0 } },
      ],
      totals: { success: 1, insufficient_permissions: 1, total: 2 },
    })
    const daily = await call(server, `/keys/${key.id}/usage?granularity=day`, {
      headers: admin,
    })
    expect(daily.status).toBe(200)
    expect(daily.body.buckets).toHaveLength(30)
    expect(daily.body.totals.total).toBeGreaterThanOrEqual(2)
    // Another organisation's key is a 404, as a missing one is.
    const foreign = await call(server, `/keys/${key.id}/usage`, { token: other.token })
    expect(foreign.status).toBe(404)
  })

  it('refuses a bad range or parameter with 400 naming it', async () => {
    const { key, token } = await server.kc.createOrganisation()
    for (const [query, field] of [
      ['granularity=week', 'granularity'],
      ['from=yesterday', 'from'],
      ['from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
      ['from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
      ['limit=3', 'limit'],
    ]) {
      const res = await call(server, `/keys/${key.id}/usage?${query}`, { token })
      expect(res.status, query).toBe(400)
      expect(JSON.stringify(res.body), query).toContain(field)
    }
  })
})
