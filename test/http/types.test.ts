import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type express from 'express'
import Koa from 'koa'
import { afterAll, describe, expect, expectTypeOf, it } from 'vitest'
import type { VerifySuccess } from '../../src'
import * as expressKit from '../../src/express'
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
})

// The built koa.d.ts, as hosts compile it (dist/ comes from the global build setup).
describe('the emitted koa.d.ts', () => {
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
})
