import { createHash } from 'node:crypto'
import type { Server as NodeServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import { afterAll, describe, expect, it } from 'vitest'
import { memoryStore } from '../../adapters/memory'
import { createKeycycle, type Keycycle } from '../../src'
import * as expressKit from '../../src/express'
import * as fastifyKit from '../../src/fastify'
import * as fetchKit from '../../src/fetch'
import * as honoKit from '../../src/hono'
import * as koaKit from '../../src/koa'
import type { SecretScanningOptions } from '../../src/secret-scanning'
import { fakeGitHub, signedHeaders } from './github'

// Every host mounts the handler at PATH the way docs/secret-scanning.md shows, beside a body
// parser of the host's where the framework has one, so the raw-body handling is what is tested.
const PATH = '/github/secret-scanning'

type Listen = (kc: Keycycle, options: SecretScanningOptions) => Promise<NodeServer>

const listening = async (server: NodeServer) => {
  if (!server.listening) await new Promise<void>((r) => server.once('listening', () => r()))
  return server
}

const HOSTS: Record<string, Listen> = {
  express: (kc, options) => {
    const app = express()
    app.post(PATH, expressKit.secretScanning(kc, options))
    app.use(express.json())
    return listening(app.listen(0, '127.0.0.1'))
  },
  'express, after express.json() keeping rawBody': (kc, options) => {
    const app = express()
    app.use(
      express.json({
        verify: (req, _res, buf) => {
          ;(req as { rawBody?: Buffer }).rawBody = buf
        },
      }),
    )
    app.post(PATH, expressKit.secretScanning(kc, options))
    return listening(app.listen(0, '127.0.0.1'))
  },
  koa: (kc, options) => {
    const app = new Koa()
    const leaks = koaKit.secretScanning(kc, options)
    app.use(async (ctx, next) => (ctx.path === PATH && ctx.method === 'POST' ? leaks(ctx) : next()))
    return listening(app.listen(0, '127.0.0.1'))
  },
  fastify: async (kc, options) => {
    const app = Fastify()
    app.register(fastifyKit.secretScanning(kc, options), { prefix: PATH })
    await app.listen({ port: 0, host: '127.0.0.1' })
    return app.server
  },
  'hono, after a middleware read the body as text': (kc, options) => {
    const app = new Hono()
    app.use(PATH, async (c, next) => {
      await c.req.text()
      await next()
    })
    app.post(PATH, honoKit.secretScanning(kc, options))
    return listening(createAdaptorServer({ fetch: app.fetch }).listen(0, '127.0.0.1') as NodeServer)
  },
  fetch: (kc, options) => {
    const leaks = fetchKit.secretScanning(kc, options)
    const app = async (request: Request) =>
      new URL(request.url).pathname === PATH ? leaks(request) : new Response(null, { status: 404 })
    return listening(createAdaptorServer({ fetch: app }).listen(0, '127.0.0.1') as NodeServer)
  },
}

const servers: NodeServer[] = []
const kcs: Keycycle[] = []
afterAll(async () => {
  for (const server of servers) await new Promise((r) => server.close(r))
  for (const kc of kcs) await kc.close()
})

describe.each(Object.keys(HOSTS))('%s: secretScanning', (name) => {
  it('revokes a signed true positive, reports a false one, and refuses a bad signature', async () => {
    const github = fakeGitHub()
    const kc = createKeycycle({ store: memoryStore() })
    kcs.push(kc)
    const created = await kc.createOrganisation()
    const server = await HOSTS[name]!(kc, {
      keys: [{ keyIdentifier: github.keyIdentifier, key: github.publicPem }],
    })
    servers.push(server)
    const { port } = server.address() as AddressInfo
    const post = (body: string, headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${port}${PATH}`, { method: 'POST', headers, body })

    const body = JSON.stringify([
      { token: created.token, type: 'kc', url: 'https://github.com/o/r', source: 'content' },
      { token: 'kc_nope', type: 'kc' },
    ])
    const tampered = body.replace('content', 'CONTENT')
    const bad = await post(tampered, signedHeaders(github, body))
    expect(bad.status).toBe(401)
    expect(await kc.verify(created.token)).toMatchObject({ ok: true })

    const response = await post(body, signedHeaders(github, body))
    expect(response.status).toBe(200)
    const hash = createHash('sha256').update(created.token).digest('hex')
    expect(await response.json()).toEqual([
      { token_hash: hash, token_type: 'kc', label: 'true_positive' },
      {
        token_hash: createHash('sha256').update('kc_nope').digest('hex'),
        token_type: 'kc',
        label: 'false_positive',
      },
    ])
    expect(await kc.verify(created.token)).toMatchObject({ ok: false, code: 'invalid' })

    const huge = 'x'.repeat(1024 * 1024 + 1)
    expect((await post(huge, signedHeaders(github, huge))).status).toBe(413)
  })
})
