import { readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'

// keycycle/fetch (and keycycle/hono, built on the same files), keycycle/webhooks and
// keycycle/secret-scanning must load where only the Fetch API is: Bun, Deno, edge runtimes. So
// nothing in the built files they reach may name a Node builtin, `node:crypto` or plain
// `crypto` alike. (The service finds node:crypto at run time through `process.getBuiltinModule`
// where there is one, which names no module to a bundler.)

const ROOT = join(import.meta.dirname, '../..')
const DIST = join(ROOT, 'dist')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>
}

/** Every module specifier a built file names: static and dynamic imports, re-exports, requires. */
function specifiers(code: string): string[] {
  const found = new Set<string>()
  const patterns = [
    /\bfrom\s*['"]([^'"\s]+)['"]/g,
    /\bimport\s*['"]([^'"\s]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"\s]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"\s]+)['"]\s*\)/g,
  ]
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) found.add(m[1]!)
  return [...found]
}

/** The files of dist/ an entry reaches, and the outside modules they name. */
function graph(entry: string): { files: string[]; outside: string[] } {
  const files = new Set<string>()
  const outside = new Set<string>()
  const visit = (file: string) => {
    if (files.has(file)) return
    files.add(file)
    for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) visit(join(dirname(file), specifier))
      else outside.add(specifier)
    }
  }
  visit(join(DIST, entry))
  return { files: [...files], outside: [...outside] }
}

const packageOf = (specifier: string) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!

const isBuiltin = (specifier: string) =>
  specifier.startsWith('node:') || builtinModules.includes(packageOf(specifier))

describe('the web-standard entries name no Node builtin', () => {
  it('finds every kind of specifier', () => {
    const code = `import a from "./a.js"; import './b.js'; export { c } from "node:crypto";
      const d = require("crypto"); const e = await import('ulid')`
    expect(specifiers(code).sort()).toEqual(['./a.js', './b.js', 'crypto', 'node:crypto', 'ulid'])
    expect(['node:crypto', 'crypto', 'timers/promises', 'ulid'].map(isBuiltin)).toEqual([
      true,
      true,
      true,
      false,
    ])
  })

  it.each([
    'fetch.js',
    'fetch.cjs',
    'hono.js',
    'hono.cjs',
    'webhooks.js',
    'webhooks.cjs',
    'secret-scanning.js',
    'secret-scanning.cjs',
  ])('dist/%s', (entry) => {
    const { files, outside } = graph(entry)
    expect(files.length).toBeGreaterThan(1)
    for (const file of files) {
      const code = readFileSync(file, 'utf8')
      expect(code, file).not.toMatch(/['"]node:/)
      expect(specifiers(code).filter(isBuiltin), file).toEqual([])
    }
    // Outside the build, only the package's own dependencies (each with a non-Node build) and,
    // for hono, nothing at run time.
    for (const specifier of outside)
      expect(Object.keys(pkg.dependencies)).toContain(packageOf(specifier))
  })

  it.each(['sign.js', 'sign.cjs'])('dist/%s is one file that imports nothing', (entry) => {
    const { files, outside } = graph(entry)
    expect(files).toHaveLength(1)
    expect(outside).toEqual([])
    expect(readFileSync(files[0]!, 'utf8')).not.toMatch(/['"]node:/)
  })
})
