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
/** An `X-Admin-Token` value whose `isAdmin` throws a plain Error: an unexpected fault. */
export const THROWING_ADMIN_TOKEN = 'make-isAdmin-throw'
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
  /** `onError` for every keycycle middleware; it receives the framework's request. */
  onError?: (error: unknown, request: unknown) => void
  /** `passErrors` for every keycycle middleware. */
  passErrors?: boolean
}

const adminHeader = (headers: Record<string, string | string[] | undefined>) => {
  if (headers['x-admin-token'] === THROWING_ADMIN_TOKEN) throw new Error('isAdmin broke')
  return headers['x-admin-token'] === ADMIN_TOKEN ? 'ops' : false
}

/**
 * A real HTTP server for one framework, mounting the management API at `/` and at `/api/v1`
 * (the NCP path style), and host routes: `GET /whoami` behind `apiKeyAuth`, `GET /reports`
 * behind `apiKeyAuth` and `requirePermission('reports:read')`, and `GET /unguarded`, which
 * calls `requireKey` without `apiKeyAuth`. The host's own error handler answers faults passed
 * to it (`passErrors`) with 418 `{ host: message }`; errors with a status go on to the
 * framework's default handling.
 */
export async function startServer(
  framework: Framework,
  options: ServerOptions = {},
): Promise<Server> {
  const store = countingStore(options.store ?? memoryStore())
  const clock = manualClock()
  const kc = createKeycycle({ store, clock, storeTimeoutMs: options.store ? 100 : 2000 })
  const errors = {
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.passErrors ? { passErrors: true } : {}),
  }
  let listener: import('node:http').Server
  if (framework === 'express') {
    const app = express()
    const isAdmin = (req: expressKit.ExpressRequestLike) => adminHeader(req.headers)
    const auth = expressKit.apiKeyAuth(kc, errors)
    app.get('/whoami', auth, (req, res) => {
      const { key } = expressKit.requireKey(req)
      res.json({ organisation: key.organisation, key: key.id })
    })
    app.get('/reports', auth, expressKit.requirePermission('reports:read', errors), (req, res) => {
      res.json({ reports: expressKit.requireKey(req).key.permissions })
    })
    app.get('/unguarded', (req, res) => {
      res.json({ key: expressKit.requireKey(req).key.id })
    })
    app.use(expressKit.keysRouter(kc, { isAdmin, ...errors }))
    app.use('/api/v1', expressKit.keysRouter(kc, { isAdmin, ...errors }))
    app.use(
      (
        error: unknown,
        _req: express.Request,
        res: express.Response,
        next: express.NextFunction,
      ) => {
        if (typeof (error as { status?: unknown }).status === 'number') return next(error)
        res.status(418).json({ host: (error as Error).message })
      },
    )
    listener = app.listen(0)
  } else {
    const app = new Koa()
    app.silent = true
    const isAdmin = (ctx: koaKit.KoaContextLike) => adminHeader(ctx.req.headers)
    const auth = koaKit.apiKeyAuth(kc, errors)
    const permitted = koaKit.requirePermission('reports:read', errors)
    app.use(async (ctx, next) => {
      try {
        await next()
      } catch (error) {
        if (typeof (error as { status?: unknown }).status === 'number') throw error
        ctx.status = 418
        ctx.body = { host: (error as Error).message }
      }
    })
    app.use(async (ctx, next) => {
      if (ctx.path === '/whoami') {
        return auth(ctx, async () => {
          const { key } = koaKit.requireKey(ctx)
          ctx.body = { organisation: key.organisation, key: key.id }
        })
      }
      if (ctx.path === '/reports') {
        return auth(ctx, () =>
          permitted(ctx, async () => {
            ctx.body = { reports: koaKit.requireKey(ctx).key.permissions }
          }),
        )
      }
      if (ctx.path === '/unguarded') {
        ctx.body = { key: koaKit.requireKey(ctx).key.id }
        return
      }
      return next()
    })
    app.use(koaKit.keysRouter(kc, { isAdmin, ...errors }))
    app.use(koaKit.keysRouter(kc, { isAdmin, prefix: '/api/v1', ...errors }))
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
