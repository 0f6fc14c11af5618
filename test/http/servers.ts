import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import Koa from 'koa'
import { memoryStore } from '../../adapters/memory'
import { createKeycycle, type Keycycle } from '../../src'
import * as expressKit from '../../src/express'
import * as koaKit from '../../src/koa'
import type { KeyStore } from '../../src/store'
import { manualClock } from '../helpers/clock'
import { countingStore } from '../helpers/counting-store'

export const ADMIN_TOKEN = 'let-me-in-as-admin'
export type Framework = 'express' | 'koa'
export const FRAMEWORKS: Framework[] = ['express', 'koa']

export interface Server {
  url: string
  kc: Keycycle
  clock: ReturnType<typeof manualClock>
  store: ReturnType<typeof countingStore>
  close(): Promise<void>
}

export interface ServerOptions {
  /** The store under the counting wrapper; default a fresh memory store. */
  store?: KeyStore
}

const adminHeader = (headers: Record<string, string | string[] | undefined>) =>
  headers['x-admin-token'] === ADMIN_TOKEN ? 'ops' : false

/**
 * A real HTTP server for one framework, mounting the management API at `/` and at `/api/v1`
 * (the NCP path style), and `GET /whoami` behind `apiKeyAuth`.
 */
export async function startServer(
  framework: Framework,
  options: ServerOptions = {},
): Promise<Server> {
  const store = countingStore(options.store ?? memoryStore())
  const clock = manualClock()
  const kc = createKeycycle({ store, clock, storeTimeoutMs: options.store ? 100 : 2000 })
  let listener: import('node:http').Server
  if (framework === 'express') {
    const app = express()
    const isAdmin = (req: expressKit.ExpressRequestLike) => adminHeader(req.headers)
    app.get('/whoami', expressKit.apiKeyAuth(kc), (req, res) => {
      res.json({ organisation: req.apiKey?.key.organisation, key: req.apiKey?.key.id })
    })
    app.use(expressKit.keysRouter(kc, { isAdmin }))
    app.use('/api/v1', expressKit.keysRouter(kc, { isAdmin }))
    listener = app.listen(0)
  } else {
    const app = new Koa()
    const isAdmin = (ctx: koaKit.KoaContextLike) => adminHeader(ctx.req.headers)
    const auth = koaKit.apiKeyAuth(kc)
    app.use(async (ctx, next) => {
      if (ctx.path !== '/whoami') return next()
      await auth(ctx, async () => {
        const verified = ctx.state.apiKey
        ctx.body = { organisation: verified?.key.organisation, key: verified?.key.id }
      })
    })
    app.use(koaKit.keysRouter(kc, { isAdmin }))
    app.use(koaKit.keysRouter(kc, { isAdmin, prefix: '/api/v1' }))
    listener = app.listen(0)
  }
  await new Promise((resolve) => listener.once('listening', resolve))
  const { port } = listener.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    kc,
    clock,
    store,
    close: () => new Promise((resolve) => listener.close(() => resolve())),
  }
}

/** A fetch that returns status, headers and parsed JSON (or null) in one object. */
export async function call(
  url: string,
  init: RequestInit & { token?: string; json?: unknown } = {},
) {
  const headers = new Headers(init.headers)
  if (init.token) headers.set('authorization', `Token ${init.token}`)
  let body = init.body
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json')
    body = JSON.stringify(init.json)
  }
  const response = await fetch(url, { ...init, headers, body: body ?? null })
  const text = await response.text()
  const json = response.headers.get('content-type')?.includes('json')
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: json && text ? JSON.parse(text) : null,
  }
}

/**
 * A request through `node:http`, whose array header values go out as repeated header lines
 * (fetch would join them with commas): how a client sends `Authorization` twice.
 */
export function rawCall(
  url: string,
  method: string,
  headers: Record<string, string | string[]>,
): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => {
        text += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }))
    })
    req.on('error', reject)
    req.end()
  })
}
