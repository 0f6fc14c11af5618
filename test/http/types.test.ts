import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type express from 'express'
import Fastify from 'fastify'
import { Hono } from 'hono'
import Koa from 'koa'
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest'
import type { Keycycle, VerifySuccess } from '../../src'
import * as expressKit from '../../src/express'
import * as fastifyKit from '../../src/fastify'
import * as fetchKit from '../../src/fetch'
import * as honoKit from '../../src/hono'
import * as koaKit from '../../src/koa'

const ROOT = join(import.meta.dirname, '../..')
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc')

describe('types that spare hosts `apiKey!`', () => {
  it('types ctx.state.apiKey (Koa, by augmenting DefaultState) and req.apiKey (Express)', () => {
    const app = new Koa()
    app.use(async (ctx) => {
      expectTypeOf(ctx.state.apiKey).toEqualTypeOf<VerifySuccess | undefined>()
      expectTypeOf(koaKit.requireKey(ctx)).toEqualTypeOf<VerifySuccess>()
    })
    const handler: express.RequestHandler = (req) => {
      expectTypeOf(req.apiKey).toEqualTypeOf<VerifySuccess | undefined>()
      expectTypeOf(expressKit.requireKey(req)).toEqualTypeOf<VerifySuccess>()
    }
    expect(typeof handler).toBe('function')
  })

  it('types c.var.apiKey after Hono’s apiKeyAuth, request.apiKey (Fastify) and the fetch handler’s key', () => {
    const kc = {} as Keycycle
    new Hono().get('/', honoKit.apiKeyAuth(kc), (c) => {
      expectTypeOf(c.var.apiKey).toEqualTypeOf<VerifySuccess>()
      expectTypeOf(honoKit.requireKey(c)).toEqualTypeOf<VerifySuccess>()
      return c.text('')
    })
    Fastify().get('/', { preHandler: fastifyKit.apiKeyAuth(kc) }, async (request) => {
      expectTypeOf(request.apiKey).toEqualTypeOf<VerifySuccess | undefined>()
      expectTypeOf(fastifyKit.requireKey(request)).toEqualTypeOf<VerifySuccess>()
    })
    // Runtime arguments after the request pass through: Next.js's context here.
    const handler = fetchKit.apiKeyAuth(kc, (_request, apiKey, context: { params: object }) => {
      expectTypeOf(apiKey).toEqualTypeOf<VerifySuccess>()
      return new Response(JSON.stringify(context.params))
    })
    expectTypeOf(handler).toEqualTypeOf<
      (request: Request, context: { params: object }) => Promise<Response>
    >()
  })
})

// The built declarations, as hosts compile them (dist/ comes from the global build setup).
describe('the emitted koa.d.ts and fastify.d.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keycycle-types-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  function project(name: string, options: object, main: string, modules: (m: string) => void) {
    const root = join(dir, name)
    const nodeModules = join(root, 'node_modules')
    // A copy, not a link: a linked package's imports would resolve from this repository.
    mkdirSync(join(nodeModules, 'keycycle'), { recursive: true })
    cpSync(join(ROOT, 'dist'), join(nodeModules, 'keycycle', 'dist'), { recursive: true })
    cpSync(join(ROOT, 'package.json'), join(nodeModules, 'keycycle', 'package.json'))
    modules(nodeModules)
    // Both module systems: the ESM and the CommonJS declarations (koa.d.ts, koa.d.cts).
    writeFileSync(join(root, 'main.mts'), main)
    writeFileSync(join(root, 'main.cts'), main)
    const compilerOptions = { module: 'nodenext', noEmit: true, esModuleInterop: true, ...options }
    writeFileSync(
      join(root, 'tsconfig.json'),
      JSON.stringify({ compilerOptions, files: ['main.mts', 'main.cts'] }),
    )
    // tsc's diagnostics, or '' when it compiles.
    try {
      execFileSync(process.execPath, [TSC, '-p', root], { encoding: 'utf8' })
      return ''
    } catch (error) {
      return (error as { stdout?: string }).stdout || String(error)
    }
  }

  it('compiles for a host with koa but without @types/koa, even with skipLibCheck off', () => {
    const diagnostics = project(
      'untyped-koa',
      { strict: false, skipLibCheck: false, types: [] },
      `import Koa from 'koa'
import { apiKeyAuth } from 'keycycle/koa'
new Koa().use(apiKeyAuth as any)
`,
      (nodeModules) => {
        mkdirSync(join(nodeModules, 'koa'))
        writeFileSync(join(nodeModules, 'koa', 'package.json'), '{"name":"koa","main":"index.js"}')
        writeFileSync(join(nodeModules, 'koa', 'index.js'), 'module.exports = class Koa {}')
      },
    )
    expect(diagnostics).toBe('')
  })

  it('types ctx.state.apiKey for a host with @types/koa', () => {
    const diagnostics = project(
      'typed-koa',
      // skipLibCheck: @types/koa 3 itself does not compile against content-disposition 1.
      { strict: true, skipLibCheck: true },
      `import Koa from 'koa'
import type { VerifySuccess } from 'keycycle'
import { apiKeyAuth } from 'keycycle/koa'
new Koa().use(async (ctx) => {
  const verified: VerifySuccess | undefined = ctx.state.apiKey
  // @ts-expect-error apiKey is typed, not any
  const wrong: number = ctx.state.apiKey
  return [verified, wrong, apiKeyAuth]
})
`,
      (nodeModules) => {
        symlinkSync(join(ROOT, 'node_modules/koa'), join(nodeModules, 'koa'))
        symlinkSync(join(ROOT, 'node_modules/@types'), join(nodeModules, '@types'))
      },
    )
    expect(diagnostics).toBe('')
  })
  it('types request.apiKey for a host with fastify', () => {
    const diagnostics = project(
      'typed-fastify',
      { strict: true, skipLibCheck: false },
      `import Fastify from 'fastify'
import type { VerifySuccess } from 'keycycle'
import { apiKeyAuth, keysRouter } from 'keycycle/fastify'
const kc = {} as import('keycycle').Keycycle
const app = Fastify()
app.register(keysRouter(kc), { prefix: '/api/v1' })
app.get('/', { preHandler: apiKeyAuth(kc) }, async (request) => {
  const verified: VerifySuccess | undefined = request.apiKey
  // @ts-expect-error apiKey is typed, not any
  const wrong: number = request.apiKey
  return [verified, wrong]
})
`,
      (nodeModules) => {
        symlinkSync(join(ROOT, 'node_modules/fastify'), join(nodeModules, 'fastify'))
        // fastify's types need Node's, and nothing else: @types/koa does not compile here.
        mkdirSync(join(nodeModules, '@types'))
        symlinkSync(join(ROOT, 'node_modules/@types/node'), join(nodeModules, '@types/node'))
      },
    )
    expect(diagnostics).toBe('')
  })

  it('compiles the other entries for a host with neither fastify nor hono, even with skipLibCheck off', () => {
    const diagnostics = project(
      'no-fastify-no-hono',
      { strict: true, skipLibCheck: false, types: [], lib: ['ES2022', 'DOM'] },
      `import { createKeycycle } from 'keycycle'
import { apiKeyAuth } from 'keycycle/fetch'
import { keysRouter } from 'keycycle/express'
export const handler = apiKeyAuth({} as ReturnType<typeof createKeycycle>, (_request, apiKey) =>
  new Response(apiKey.key.organisation),
)
export const router = keysRouter
`,
      () => {},
    )
    expect(diagnostics).toBe('')
  })
})
