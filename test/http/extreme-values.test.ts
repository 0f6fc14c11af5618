import type { Server as NodeServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { extremeValues } from '../../src/conformance/values-suite'
import {
  MAX_CONFIG_ID_LENGTH,
  MAX_DESCRIPTION_LENGTH,
  MAX_METADATA_BYTES,
  MAX_NAME_LENGTH,
  MAX_PERMISSION_LENGTH,
  MAX_PERMISSIONS,
} from '../../src/core/schema'
import { createKeycycle, type Keycycle } from '../../src/index'
import { type Dialect, reachable, type SqlOpenStore, sqlHarness } from '../adapters/sql-harness'
import { manualClock } from '../helpers/clock'
import { shouldRun } from '../helpers/should-run'
import { ADMIN_TOKEN, type CallInit, call, HOSTS, type Host, type Sent } from './hosts'

// Issue 10: values validation admits are stored and echoed exactly by a real SQL store, and
// values it must refuse (U+0000, lone surrogates, one past a limit) are `validation` naming the
// wire field, on every host. Never a 5xx: a 5xx here is a value that validation let through to
// a store that could not hold it.

const x = extremeValues()
const [name0, name1] = x.names as [string, string]
const [description0, description1] = x.descriptions as [string, string]
const [metadata0, metadata1] = x.metadata as [Record<string, unknown>, Record<string, unknown>]
const utf8Bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value))

const dialects: Dialect[] = []
for (const [dialect, label] of [
  ['sqlite', 'SQLite'],
  ['postgres', 'PostgreSQL'],
  ['mysql', 'MariaDB/MySQL'],
] as const) {
  if (await shouldRun(label, () => reachable(dialect))) dialects.push(dialect)
}

// The host over `kc` as test/http/hosts.ts mounts it, with a deadline a loaded machine's SQL
// server meets: a slow answer must not pass for a value the store refused.
async function serve(host: Host, kc: Keycycle) {
  const listener: NodeServer = await host.listen({
    kc,
    isAdmin: (header) => (header('x-admin-token') === ADMIN_TOKEN ? 'ops' : false),
    errors: {},
    router: {},
  })
  const { port } = listener.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        listener.close(() => resolve())
        listener.closeAllConnections()
      }),
  }
}

describe.each(dialects)('%s store', (dialect) => {
  let opened: SqlOpenStore
  let kc: Keycycle
  beforeAll(async () => {
    opened = await sqlHarness(dialect, 1).open()
    kc = createKeycycle({ store: opened.store, clock: manualClock(), storeTimeoutMs: 30_000 })
  })
  afterAll(async () => {
    await kc?.close()
    await opened?.close()
  })

  describe.each(HOSTS.map((h) => [h.name, h] as const))('%s', (_name, host) => {
    let server: Awaited<ReturnType<typeof serve>>
    let org = ''
    beforeAll(async () => {
      server = await serve(host, kc)
      org = (await kc.createOrganisation()).organisation.id
    })
    afterAll(() => server?.close())

    const admin = async (method: string, path: string, json: unknown): Promise<Sent> => {
      const init: CallInit = { method, headers: { 'x-admin-token': ADMIN_TOKEN }, json }
      const sent = await call(server, path, init)
      expect(sent.status, `${method} ${path}: ${sent.text.slice(0, 300)}`).toBeLessThan(500)
      return sent
    }
    const createKey = (body: Record<string, unknown>) =>
      admin('POST', '/keys', { organisation: org, ...body })
    const refused = (sent: Sent, field: string) => {
      expect(sent.status, sent.text.slice(0, 300)).toBe(400)
      expect(sent.body).toMatchObject({ error: 'validation', params: { field } })
    }

    it('stores and echoes the longest names, descriptions, config IDs and metadata exactly', async () => {
      const body = {
        name: name0,
        description: description0,
        storage_config: x.configIds[0],
        webhook_config: Number.MAX_SAFE_INTEGER,
        metadata: metadata0,
      }
      const created = await createKey(body)
      expect(created.status).toBe(201)
      expect(created.body).toMatchObject(body)
      expect(created.body.metadata).toEqual(metadata0)
      const id = created.body.id as string
      const read = await admin('GET', `/keys/${id}`, undefined)
      expect(read.body).toMatchObject(body)
      expect(read.body.metadata).toEqual(metadata0)

      const patch = { name: name1, description: description1, metadata: metadata1 }
      const updated = await admin('POST', `/keys/${id}`, patch)
      expect(updated.status).toBe(200)
      expect(updated.body).toMatchObject(patch)
      expect(updated.body.metadata).toEqual(metadata1)
    })

    it('stores the most and longest permissions exactly', async () => {
      const created = await createKey({ permissions: x.permissions })
      expect(created.status).toBe(201)
      expect(created.body.permissions).toEqual(x.permissions)
      const read = await admin('GET', `/keys/${created.body.id}`, undefined)
      expect(read.body.permissions).toEqual(x.permissions)
    })

    it('keeps every config ID shape, string or integer, on keys and organisations', async () => {
      const { body: key } = await createKey({})
      for (const [i, id] of x.configIds.entries()) {
        const other = x.configIds[(i + 1) % x.configIds.length]
        const ids = { storage_config: id, webhook_config: other }
        const updated = await admin('POST', `/keys/${key.id}`, ids)
        expect(updated.status).toBe(200)
        expect([updated.body.storage_config, updated.body.webhook_config]).toEqual([id, other])
        const defaults = await admin('POST', `/organisation?organisation=${org}`, ids)
        expect(defaults.status).toBe(200)
        expect(defaults.body).toMatchObject(ids)
        const read = await admin('GET', `/organisation?organisation=${org}`, undefined)
        expect([read.body.storage_config, read.body.webhook_config]).toEqual([id, other])
      }
    })

    it('answers the largest valid body, every field at its longest encoding, without a 5xx', async () => {
      const controls = (n: number) => '\u0001'.repeat(n) // six bytes each as JSON
      const body = {
        name: controls(MAX_NAME_LENGTH),
        description: controls(MAX_DESCRIPTION_LENGTH),
        storage_config: controls(MAX_CONFIG_ID_LENGTH),
        webhook_config: controls(MAX_CONFIG_ID_LENGTH),
        permissions: x.permissions,
        metadata: metadata0,
      }
      expect(utf8Bytes(body)).toBeGreaterThan(27_000)
      const sent = await createKey(body)
      // The default body limit (64 KiB) holds the largest valid body: stored exactly.
      expect(sent.status).toBe(201)
      expect(sent.body).toMatchObject(body)
    })

    it('refuses U+0000 and lone surrogates in every string, naming the wire field', async () => {
      const { body: key } = await createKey({})
      for (const bad of ['a\u0000b', '\ud800', 'x\udc00', '🔑'.slice(0, 1)]) {
        for (const field of ['name', 'description', 'storage_config', 'webhook_config']) {
          refused(await createKey({ [field]: bad }), field)
          refused(await admin('POST', `/keys/${key.id}`, { [field]: bad }), field)
        }
        for (const field of ['storage_config', 'webhook_config']) {
          const path = `/organisation?organisation=${org}`
          refused(await admin('POST', path, { [field]: bad }), field)
        }
        refused(await createKey({ metadata: { a: bad } }), 'metadata.a')
        refused(
          await admin('POST', `/keys/${key.id}`, { metadata: { a: [1, bad] } }),
          'metadata.a[1]',
        )
        const badKey = await admin('POST', `/keys/${key.id}`, { metadata: { [bad]: 1 } })
        refused(badKey, 'metadata')
        expect(badKey.text).not.toMatch(/\\u0000|\\ud[89a-f]/i)
      }
    })

    it('refuses one past each limit, naming the wire field', async () => {
      const { body: key } = await createKey({})
      const over = {
        name: 'n'.repeat(MAX_NAME_LENGTH + 1),
        description: '\\'.repeat(MAX_DESCRIPTION_LENGTH + 1),
        storage_config: '"'.repeat(MAX_CONFIG_ID_LENGTH + 1),
        webhook_config: Number.MAX_SAFE_INTEGER + 1,
      }
      for (const [field, value] of Object.entries(over)) {
        refused(await createKey({ [field]: value }), field)
        refused(await admin('POST', `/keys/${key.id}`, { [field]: value }), field)
      }
      refused(await createKey({ storage_config: Number.MIN_SAFE_INTEGER - 1 }), 'storage_config')
      refused(await createKey({ webhook_config: 1.5 }), 'webhook_config')
      refused(await createKey({ storage_config: '' }), 'storage_config')
      const path = `/organisation?organisation=${org}`
      refused(await admin('POST', path, { storage_config: over.storage_config }), 'storage_config')
      const tooMany = [...x.permissions, 'one-more']
      expect(tooMany).toHaveLength(MAX_PERMISSIONS + 1)
      refused(await createKey({ permissions: tooMany }), 'permissions')
      const tooLong = ['p'.repeat(MAX_PERMISSION_LENGTH + 1)]
      refused(await createKey({ permissions: tooLong }), 'permissions[0]')
      const bigger = { ...metadata1, pad: `${metadata1.pad}x` }
      expect(utf8Bytes(bigger)).toBe(MAX_METADATA_BYTES + 1)
      refused(await createKey({ metadata: bigger }), 'metadata')
      refused(await admin('POST', `/keys/${key.id}`, { metadata: bigger }), 'metadata')
    })
  })

  it('shows organisations created with extreme values exactly over HTTP', async () => {
    const created = await kc.createOrganisation({
      storageConfig: x.configIds[2]!,
      webhookConfig: Number.MIN_SAFE_INTEGER,
      key: { name: name0, description: description0 },
    })
    const server = await serve(HOSTS[0]!, kc)
    try {
      const init = { headers: { 'x-admin-token': ADMIN_TOKEN } }
      const id = created.organisation.id
      const read = await call(server, `/organisation?organisation=${id}`, init)
      expect(read.status).toBe(200)
      expect(read.body).toMatchObject({
        storage_config: x.configIds[2],
        webhook_config: Number.MIN_SAFE_INTEGER,
      })
      const key = await call(server, `/keys/${created.key.id}`, init)
      expect(key.body).toMatchObject({ name: name0, description: description0 })
    } finally {
      await server.close()
    }
  })
})
