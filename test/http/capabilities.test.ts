import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import Koa from 'koa'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStore } from '../../adapters/memory'
import { createKeycycle, type Keycycle } from '../../src'
import * as expressKit from '../../src/express'
import * as koaKit from '../../src/koa'

// Metadata, last used and deletion over the wire, through Express and Koa (SPEC §1, §6).
const HOSTS = {
  express: (kc: Keycycle) => express().use(expressKit.keysRouter(kc)).listen(0, '127.0.0.1'),
  koa: (kc: Keycycle) => new Koa().use(koaKit.keysRouter(kc)).listen(0, '127.0.0.1'),
}

describe.each(Object.entries(HOSTS))('key capabilities over HTTP (%s)', (_name, listen) => {
  let server: Server
  let kc: Keycycle
  let token = ''
  let base = ''
  beforeAll(async () => {
    kc = createKeycycle({ store: memoryStore(), lastUsedFlushMs: 0 })
    token = (await kc.createOrganisation()).token
    server = listen(kc)
    await new Promise((resolve) => server.once('listening', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    await kc.close()
    await new Promise((resolve) => server.close(resolve))
  })
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Token ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }

  it('takes, returns and clears metadata, and names it in a refusal', async () => {
    const metadata = { plan: 'pro', limits: { rps: 50 }, tags: ['ü', '鍵'] }
    const created = await call('POST', '/keys', { name: 'ci', metadata })
    expect(created.status).toBe(201)
    expect(created.body.metadata).toEqual(metadata)
    const id = created.body.id as string
    expect((await call('GET', `/keys/${id}`)).body.metadata).toEqual(metadata)
    const tooBig = await call('POST', `/keys/${id}`, { metadata: { pad: 'x'.repeat(5000) } })
    expect(tooBig.status).toBe(400)
    expect(tooBig.body).toMatchObject({ error: 'validation', params: { field: 'metadata' } })
    const nested = await call('POST', `/keys/${id}`, { metadata: { a: { b: [1, 'x'] } } })
    expect(nested.status).toBe(200)
    expect((await call('POST', `/keys/${id}`, { metadata: null })).body.metadata).toBeNull()
  })

  it('shows date_last_used per slot once verifications are flushed', async () => {
    const own = await call('GET', '/key')
    expect(own.status).toBe(200)
    const primary = own.body.primary as Record<string, unknown>
    expect(primary).toMatchObject({ date_last_used: null, date_retiring_last_used: null })
    await kc.flushUsage() // the request above authenticated with the token: one use
    const after = (await call('GET', '/key')).body.primary as Record<string, unknown>
    expect(typeof after.date_last_used).toBe('string')
    expect(Date.parse(after.date_last_used as string)).toBeGreaterThan(Date.now() - 60_000)
  })

  it('deletes a key: DELETE answers its ID, then it is gone from reads, lists and auth', async () => {
    const created = await call('POST', '/keys', { name: 'to delete' })
    const id = created.body.id as string
    const deleted = await call('DELETE', `/keys/${id}`)
    expect(deleted).toEqual({ status: 200, body: { id, resource: 'key', deleted: true } })
    expect((await call('GET', `/keys/${id}`)).status).toBe(404)
    expect((await call('DELETE', `/keys/${id}`)).status).toBe(404)
    const list = (await call('GET', '/keys?limit=100')).body.data as { id: string }[]
    expect(list.map((k) => k.id)).not.toContain(id)
    const res = await fetch(`${base}/key`, {
      headers: { authorization: `Token ${created.body.token as string}` },
    })
    expect(res.status).toBe(401)
  })
})
