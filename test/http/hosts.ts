/**
 * The HTTP suite's hosts: one small adapter per framework that mounts keycycle the way its
 * README snippet does, on a real server on 127.0.0.1, and `send`, the one function every test
 * request and response goes through.
 *
 * Every host serves the same app: the management API at `/` and at `/api/v1` (the NCP path
 * style), `GET /whoami` behind `apiKeyAuth`, `GET /reports` behind `apiKeyAuth` and
 * `requirePermission('reports:read')`, and `GET /unguarded`, which calls `requireKey` without
 * `apiKeyAuth` (where the host has a `requireKey`). Usage control: `GET /metered` costs 3 and
 * answers the credits left, `GET /billing` asks verify for {@link BILLING}, `GET /audit` is
 * behind `requirePermission(AUDIT)`; every `apiKeyAuth` and router takes the server's
 * `trustProxy`, and Fastify's own `trustProxy` is on (keycycle must not read it). The host's own error handling answers
 * faults passed to it (`passErrors`) with 418 `{ host: message }`; errors with a status go on
 * to the framework's default handling.
 */
import { request as httpRequest, type Server as NodeServer } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import { memoryStore } from '../../adapters/memory'
import { createKeycycle, type Keycycle } from '../../src'
import * as expressKit from '../../src/express'
import * as fastifyKit from '../../src/fastify'
import * as fetchKit from '../../src/fetch'
import * as honoKit from '../../src/hono'
import * as koaKit from '../../src/koa'
import type { KeyStore } from '../../src/store'
import { manualClock } from '../helpers/clock'
import { countingStore } from '../helpers/counting-store'
import { responseValidator } from '../openapi/validate'

export const ADMIN_TOKEN = 'let-me-in-as-admin'
/** An `X-Admin-Token` value whose `isAdmin` throws a plain Error: an unexpected fault. */
export const THROWING_ADMIN_TOKEN = 'make-isAdmin-throw'

/** What every host's keycycle middlewares get. */
interface Mount {
  kc: Keycycle
  /** `isAdmin` over the request's headers, whatever shape the framework gives them. */
  isAdmin: (header: (name: string) => string | undefined) => string | false
  /** `onError` and `passErrors`, when the test set them. */
  errors: { onError?: (error: unknown, request: unknown) => void; passErrors?: boolean }
  /** More `keysRouter` options, when the test set them. */
  router: { openapi?: boolean }
  /** `trustProxy` for every `apiKeyAuth` and `keysRouter`, when the test set it. */
  address?: { trustProxy?: number | string[] }
}

export interface Host {
  name: 'express' | 'koa' | 'fastify' | 'hono' | 'fetch'
  /** Starts the app described above; resolves once it listens on 127.0.0.1. */
  listen(mount: Mount): Promise<NodeServer>
  /** The path of the request object `onError` was given (the framework's own request). */
  pathOf(request: unknown): string
  /** Whether `GET /unguarded` exists: the fetch helpers hand the key to the handler instead. */
  requireKey: boolean
}

type Faulty = { status?: unknown; message?: string }
const hasStatus = (error: unknown) => typeof (error as Faulty).status === 'number'
const pathname = (url: string) => new URL(url, 'http://host').pathname

async function listening(server: NodeServer): Promise<NodeServer> {
  if (!server.listening) {
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  }
  return server
}

const expressHost: Host = {
  name: 'express',
  requireKey: true,
  pathOf: (req) => pathname((req as { url: string }).url),
  listen: ({ kc, isAdmin, errors, router, address }) => {
    const app = express()
    // Express's own proxy trust is on, to show keycycle does not read `req.ip`.
    app.set('trust proxy', true)
    const admin = (req: expressKit.ExpressRequestLike) =>
      isAdmin((name) => req.headers[name] as string | undefined)
    const auth = expressKit.apiKeyAuth(kc, { ...errors, ...address })
    app.get(
      '/metered',
      expressKit.apiKeyAuth(kc, { ...errors, ...address, cost: 3 }),
      (req, res) => {
        res.json({ credits: expressKit.requireKey(req).credits })
      },
    )
    app.get(
      '/billing',
      expressKit.apiKeyAuth(kc, { ...errors, ...address, permissions: BILLING }),
      (req, res) => {
        res.json({ key: expressKit.requireKey(req).key.id })
      },
    )
    app.get('/audit', auth, expressKit.requirePermission(AUDIT, errors), (req, res) => {
      res.json({ key: expressKit.requireKey(req).key.id })
    })
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
    app.use(expressKit.keysRouter(kc, { isAdmin: admin, ...router, ...errors, ...address }))
    app.use(
      '/api/v1',
      expressKit.keysRouter(kc, { isAdmin: admin, ...router, ...errors, ...address }),
    )
    app.use(
      (error: Faulty, _req: express.Request, res: express.Response, next: express.NextFunction) => {
        if (hasStatus(error)) return next(error)
        res.status(418).json({ host: error.message })
      },
    )
    return listening(app.listen(0, '127.0.0.1'))
  },
}

const koaHost: Host = {
  name: 'koa',
  requireKey: true,
  pathOf: (ctx) => pathname((ctx as { req: { url: string } }).req.url),
  listen: ({ kc, isAdmin, errors, router, address }) => {
    const app = new Koa()
    app.silent = true
    // Koa's own proxy trust is on, to show keycycle does not read `ctx.request.ip`.
    app.proxy = true
    const admin = (ctx: koaKit.KoaContextLike) =>
      isAdmin((name) => ctx.req.headers[name] as string | undefined)
    const auth = koaKit.apiKeyAuth(kc, { ...errors, ...address })
    const permitted = koaKit.requirePermission('reports:read', errors)
    const metered = koaKit.apiKeyAuth(kc, { ...errors, ...address, cost: 3 })
    const billing = koaKit.apiKeyAuth(kc, { ...errors, ...address, permissions: BILLING })
    const audit = koaKit.requirePermission(AUDIT, errors)
    app.use(async (ctx, next) => {
      try {
        await next()
      } catch (error) {
        if (hasStatus(error)) throw error
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
      if (ctx.path === '/metered') {
        return metered(ctx, async () => {
          ctx.body = { credits: koaKit.requireKey(ctx).credits }
        })
      }
      if (ctx.path === '/billing' || ctx.path === '/audit') {
        const guard =
          ctx.path === '/billing'
            ? billing
            : (c: koaKit.KoaContextLike, n: () => Promise<unknown>) => auth(c, () => audit(c, n))
        return guard(ctx, async () => {
          ctx.body = { key: koaKit.requireKey(ctx).key.id }
        })
      }
      if (ctx.path === '/unguarded') {
        ctx.body = { key: koaKit.requireKey(ctx).key.id }
        return
      }
      return next()
    })
    app.use(koaKit.keysRouter(kc, { isAdmin: admin, ...router, ...errors, ...address }))
    app.use(
      koaKit.keysRouter(kc, {
        isAdmin: admin,
        ...router,
        prefix: '/api/v1',
        ...errors,
        ...address,
      }),
    )
    return listening(app.listen(0, '127.0.0.1'))
  },
}

const fastifyHost: Host = {
  name: 'fastify',
  requireKey: true,
  pathOf: (request) => pathname((request as { url: string }).url),
  listen: async ({ kc, isAdmin, errors, router, address }) => {
    // NCP's `/api/v1//api-keys/…` needs duplicate slashes ignored, as the README says. Its own
    // `trustProxy` is on, to show keycycle does not read it.
    const app = Fastify({ routerOptions: { ignoreDuplicateSlashes: true }, trustProxy: true })
    const admin = (request: { headers: Record<string, unknown> }) =>
      isAdmin((name) => request.headers[name] as string | undefined)
    const auth = fastifyKit.apiKeyAuth(kc, { ...errors, ...address })
    const metered = fastifyKit.apiKeyAuth(kc, { ...errors, ...address, cost: 3 })
    const billing = fastifyKit.apiKeyAuth(kc, { ...errors, ...address, permissions: BILLING })
    app.get('/metered', { preHandler: metered }, async (request) => ({
      credits: fastifyKit.requireKey(request).credits,
    }))
    app.get('/billing', { preHandler: billing }, async (request) => ({
      key: fastifyKit.requireKey(request).key.id,
    }))
    app.get(
      '/audit',
      { preHandler: [auth, fastifyKit.requirePermission(AUDIT, errors)] },
      async (request) => ({ key: fastifyKit.requireKey(request).key.id }),
    )
    const permitted = fastifyKit.requirePermission('reports:read', errors)
    app.get('/whoami', { preHandler: auth }, async (request) => {
      const { key } = fastifyKit.requireKey(request)
      return { organisation: key.organisation, key: key.id }
    })
    app.get('/reports', { preHandler: [auth, permitted] }, async (request) => ({
      reports: fastifyKit.requireKey(request).key.permissions,
    }))
    app.get('/unguarded', async (request) => ({ key: fastifyKit.requireKey(request).key.id }))
    app.register(fastifyKit.keysRouter(kc, { isAdmin: admin, ...router, ...errors, ...address }))
    app.register(fastifyKit.keysRouter(kc, { isAdmin: admin, ...router, ...errors, ...address }), {
      prefix: '/api/v1',
    })
    app.setErrorHandler((error: Faulty, _request, reply) => {
      if (hasStatus(error)) throw error
      return reply.code(418).send({ host: error.message })
    })
    await app.listen({ port: 0, host: '127.0.0.1' })
    return app.server
  },
}

const honoHost: Host = {
  name: 'hono',
  requireKey: true,
  pathOf: (c) => pathname((c as { req: { url: string } }).req.url),
  listen: ({ kc, isAdmin, errors, router, address }) => {
    const app = new Hono()
    const admin = (c: { req: { header(name: string): string | undefined } }) =>
      isAdmin((name) => c.req.header(name))
    const auth = honoKit.apiKeyAuth(kc, { ...errors, ...address })
    app.get('/metered', honoKit.apiKeyAuth(kc, { ...errors, ...address, cost: 3 }), (c) =>
      c.json({ credits: c.var.apiKey.credits }),
    )
    app.get(
      '/billing',
      honoKit.apiKeyAuth(kc, { ...errors, ...address, permissions: BILLING }),
      (c) => c.json({ key: c.var.apiKey.key.id }),
    )
    app.get('/audit', auth, honoKit.requirePermission(AUDIT, errors), (c) =>
      c.json({ key: c.var.apiKey.key.id }),
    )
    app.get('/whoami', auth, (c) => {
      const { key } = honoKit.requireKey(c)
      return c.json({ organisation: key.organisation, key: key.id })
    })
    app.get('/reports', auth, honoKit.requirePermission('reports:read', errors), (c) =>
      c.json({ reports: c.var.apiKey.key.permissions }),
    )
    app.get('/unguarded', (c) => c.json({ key: honoKit.requireKey(c).key.id }))
    app.use(honoKit.keysRouter(kc, { isAdmin: admin, ...router, ...errors, ...address }))
    app.use(
      '/api/v1/*',
      honoKit.keysRouter(kc, {
        isAdmin: admin,
        ...router,
        prefix: '/api/v1',
        ...errors,
        ...address,
      }),
    )
    app.onError((error, c) => {
      // Hono's own default: an error that carries its response is answered with it.
      if ('getResponse' in error) return (error as { getResponse(): Response }).getResponse()
      return c.json({ host: error.message }, 418)
    })
    return listening(createAdaptorServer({ fetch: app.fetch }).listen(0, '127.0.0.1') as NodeServer)
  },
}

const fetchHost: Host = {
  name: 'fetch',
  requireKey: false,
  pathOf: (request) => pathname((request as Request).url),
  listen: ({ kc, isAdmin, errors, router, address }) => {
    const admin = (request: Request) => isAdmin((name) => request.headers.get(name) ?? undefined)
    // @hono/node-server passes `{ incoming, outgoing }` after the request: the peer is there.
    const peer = {
      getClientIp: (_request: Request, env: unknown) =>
        (env as { incoming: { socket: { remoteAddress?: string } } }).incoming.socket.remoteAddress,
      ...address,
    }
    const keys = fetchKit.keysRouter(kc, { isAdmin: admin, ...router, ...errors, ...peer })
    const keysV1 = fetchKit.keysRouter(kc, {
      isAdmin: admin,
      ...router,
      prefix: '/api/v1',
      ...errors,
      ...peer,
    })
    const whoami = fetchKit.apiKeyAuth<[unknown]>(
      kc,
      (_request, { key }) => Response.json({ organisation: key.organisation, key: key.id }),
      { ...errors, ...peer },
    )
    const metered = fetchKit.apiKeyAuth<[unknown]>(
      kc,
      (_request, { credits }) => Response.json({ credits }),
      { ...errors, ...peer, cost: 3 },
    )
    const billing = fetchKit.apiKeyAuth<[unknown]>(
      kc,
      (_request, { key }) => Response.json({ key: key.id }),
      { ...errors, ...peer, permissions: BILLING },
    )
    const audit = fetchKit.apiKeyAuth<[unknown]>(
      kc,
      fetchKit.requirePermission(
        AUDIT,
        (_request, { key }) => Response.json({ key: key.id }),
        errors,
      ),
      { ...errors, ...peer },
    )
    const reports = fetchKit.apiKeyAuth<[unknown]>(
      kc,
      fetchKit.requirePermission(
        'reports:read',
        (_request, { key }) => Response.json({ reports: key.permissions }),
        errors,
      ),
      { ...errors, ...peer },
    )
    const routes: Record<string, (request: Request, env: unknown) => Promise<Response>> = {
      '/whoami': whoami,
      '/reports': reports,
      '/metered': metered,
      '/billing': billing,
      '/audit': audit,
    }
    // The host: its own routing, then the routers, then its own 404; its own error handling.
    const app = async (request: Request, env: unknown): Promise<Response> => {
      try {
        const route = routes[new URL(request.url).pathname]
        if (route) return await route(request, env)
        return (
          (await keys(request, env)) ??
          (await keysV1(request, env)) ??
          Response.json({ host: 'not found' }, { status: 404 })
        )
      } catch (error) {
        if (hasStatus(error))
          return new Response(null, { status: (error as Faulty).status as number })
        return Response.json({ host: (error as Error).message }, { status: 418 })
      }
    }
    return listening(createAdaptorServer({ fetch: app }).listen(0, '127.0.0.1') as NodeServer)
  },
}

/** Every host the suite runs over, unchanged. */
export const HOSTS: Host[] = [expressHost, koaHost, fastifyHost, honoHost, fetchHost]

export interface Server {
  host: Host
  url: string
  kc: Keycycle
  clock: ReturnType<typeof manualClock>
  store: ReturnType<typeof countingStore>
  close(): Promise<void>
}

/** The permission query of `GET /billing`'s `apiKeyAuth` (checked by verify). */
export const BILLING = 'billing:read OR admin'
/** The permission query of `GET /audit`'s `requirePermission`. */
export const AUDIT = 'reports:read AND (audit:read OR admin)'

export interface ServerOptions {
  /** `trustProxy` for every `apiKeyAuth` and `keysRouter`. */
  trustProxy?: number | string[]
  /** The store under the counting wrapper; default a fresh memory store. */
  store?: KeyStore
  /** `onError` for every keycycle middleware; it receives the framework's request. */
  onError?: (error: unknown, request: unknown) => void
  /** `passErrors` for every keycycle middleware. */
  passErrors?: boolean
  /** `openapi` for every `keysRouter`. */
  openapi?: boolean
}

/** The key-encryption key of every server's signing keys (signed requests). */
export const SIGNING_KEK = { id: 'test', key: new Uint8Array(32).fill(9) }

/** Starts `host`'s app over a fresh keycycle with a manual clock and a counting store. */
export async function startServer(host: Host, options: ServerOptions = {}): Promise<Server> {
  const store = countingStore(options.store ?? memoryStore())
  const clock = manualClock()
  const kc = createKeycycle({
    store,
    clock,
    storeTimeoutMs: options.store ? 100 : 2000,
    secretEncryption: { keys: [SIGNING_KEK] },
  })
  const errors = {
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.passErrors ? { passErrors: true } : {}),
  }
  const isAdmin = (header: (name: string) => string | undefined) => {
    const token = header('x-admin-token')
    if (token === THROWING_ADMIN_TOKEN) throw new Error('isAdmin broke')
    return token === ADMIN_TOKEN ? 'ops' : false
  }
  const router = options.openapi ? { openapi: true } : {}
  const address = options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }
  const listener = await host.listen({ kc, isAdmin, errors, router, address })
  const { port } = listener.address() as AddressInfo
  return {
    host,
    url: `http://127.0.0.1:${port}`,
    kc,
    clock,
    store,
    close: () =>
      new Promise<void>((resolve) => {
        listener.close(() => resolve())
        listener.closeAllConnections()
      }),
  }
}

/** Where requests go: a server of `startServer`, or any other listening on `url`. */
export type Target = Pick<Server, 'url'>

/** A request as the tests write it. */
export interface SendRequest {
  method?: string
  /** The path and query, e.g. `/keys?limit=2`. */
  path: string
  /** Array values go out as repeated header lines (fetch would join them with commas). */
  headers?: Record<string, string | string[]>
  /**
   * Header lines written to the socket byte for byte, after `headers`: control characters and
   * anything else Node's client refuses to send.
   */
  rawHeaderLines?: string[]
  body?: string
}

/** A response as the tests read it, with the request it answers. */
export interface Sent {
  method: string
  path: string
  status: number
  headers: Headers
  text: string
  /** The body parsed as JSON when it is JSON, else null. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies freely
  body: any
}

function received(
  request: Required<Pick<SendRequest, 'method' | 'path'>>,
  status: number,
  raw: string[],
  text: string,
): Sent {
  const headers = new Headers()
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!)
  const json = headers.get('content-type')?.includes('json')
  return {
    method: request.method,
    path: request.path,
    status,
    headers,
    text,
    body: json && text ? JSON.parse(text) : null,
  }
}

// Through node:http, whose array header values go out as repeated header lines.
function viaHttp(server: Target, request: SendRequest & { method: string }): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      server.url + request.path,
      {
        method: request.method,
        // Framed explicitly: node:http sends a DELETE's body unframed otherwise.
        headers: {
          ...request.headers,
          ...(request.body === undefined
            ? {}
            : { 'content-length': String(Buffer.byteLength(request.body)) }),
        },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => {
          text += chunk
        })
        res.on('end', () => resolve(received(request, res.statusCode ?? 0, res.rawHeaders, text)))
      },
    )
    req.on('error', reject)
    req.end(request.body)
  })
}

// Straight onto a socket, for header bytes node:http will not send. One request, then close.
function viaSocket(server: Target, request: SendRequest & { method: string }): Promise<Sent> {
  const { port } = new URL(server.url)
  const lines = [`${request.method} ${request.path} HTTP/1.1`, `host: 127.0.0.1:${port}`]
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    for (const v of [value].flat()) lines.push(`${name}: ${v}`)
  }
  lines.push(...(request.rawHeaderLines ?? []), 'connection: close')
  if (request.body !== undefined) lines.push(`content-length: ${Buffer.byteLength(request.body)}`)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('end', () => {
      const all = Buffer.concat(chunks).toString('latin1')
      const split = all.indexOf('\r\n\r\n')
      const [statusLine = '', ...headerLines] = all.slice(0, split).split('\r\n')
      const raw = headerLines.flatMap((line) => {
        const colon = line.indexOf(':')
        return [line.slice(0, colon), line.slice(colon + 1).trim()]
      })
      const headers = received(request, 0, raw, '').headers
      let text = all.slice(split + 4)
      if (headers.get('transfer-encoding') === 'chunked') text = dechunk(text)
      resolve(received(request, Number(statusLine.split(' ')[1]), raw, text))
    })
    socket.end(`${lines.join('\r\n')}\r\n\r\n${request.body ?? ''}`, 'latin1')
  })
}

function dechunk(text: string): string {
  let out = ''
  let rest = text
  for (;;) {
    const eol = rest.indexOf('\r\n')
    const size = Number.parseInt(rest.slice(0, eol), 16)
    if (!size) return out
    out += rest.slice(eol + 2, eol + 2 + size)
    rest = rest.slice(eol + 4 + size)
  }
}

/**
 * Sends one request to a host and reads its whole response: every request the HTTP suite makes
 * goes through here, so a check on every exchange (say, against an API description) hooks in
 * at this one place.
 */
// Every response of the suite is checked against the OpenAPI document (issue: "every HTTP-suite
// response validates"). Left out: the hosts' own error handling (418, for faults passed to
// them) and answers a framework gives itself (its own 400, 404 or 413 page, not keycycle's
// error body).
const openapi = responseValidator({
  ignore: (r) => r.status === 418 || (r.status >= 400 && !isKeycycleError(r.body)),
})

// keycycle's error body always has a string `error` and a `params` object.
function isKeycycleError(body: unknown): boolean {
  const b = body as { error?: unknown; params?: unknown } | null
  return typeof b?.error === 'string' && typeof b.params === 'object' && b.params !== null
}

export async function send(server: Target, request: SendRequest): Promise<Sent> {
  const full = { ...request, method: request.method ?? 'GET' }
  const sent = await (full.rawHeaderLines ? viaSocket(server, full) : viaHttp(server, full))
  openapi.expectValid(sent)
  return sent
}

/** What `call` takes: a request less its path, with a token or a JSON body for short. */
export interface CallInit extends Omit<SendRequest, 'path' | 'headers'> {
  headers?: Record<string, string | string[]>
  /** Sent as `Authorization: Token <token>`. */
  token?: string
  /** Sent as the body, JSON-encoded, with `Content-Type: application/json`. */
  json?: unknown
}

/** `send` with shorthands: `call(server, '/keys', { token, json: {...} })`. */
export function call(server: Target, path: string, init: CallInit = {}): Promise<Sent> {
  const { token, json, headers: given, ...rest } = init
  const headers: Record<string, string | string[]> = { ...given }
  if (token) headers.authorization = `Token ${token}`
  let body = rest.body
  if (json !== undefined) {
    headers['content-type'] = 'application/json'
    body = JSON.stringify(json)
  }
  return send(server, { ...rest, path, headers, ...(body === undefined ? {} : { body }) })
}
