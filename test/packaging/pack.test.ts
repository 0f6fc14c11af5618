import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '../..')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, unknown>
  dependencies: Record<string, string>
  peerDependencies: Record<string, string>
}
// Data files (package.json, openapi.json) are not modules: test/openapi loads openapi.json.
const subpaths = Object.keys(pkg.exports)
  .filter((p) => !p.endsWith('.json'))
  .map((p) => (p === '.' ? 'keycycle' : `keycycle/${p.slice(2)}`))

// What each script prints: every entry's export names, then a real round trip and the
// cross-build `instanceof` check.
const body = (load: string) => `
const entries = ${JSON.stringify(subpaths)}
const out = {}
for (const name of entries) out[name] = Object.keys(${load}).sort()
const { createKeycycle, KeycycleError } = ${load.replace('name', "'keycycle'")}
const { memoryStore } = ${load.replace('name', "'keycycle/memory'")}
const kc = createKeycycle({ store: memoryStore() })
const created = await kc.createOrganisation()
out.verified = (await kc.verify(created.token)).ok
const error = await kc.as({ kind: 'admin', id: 'a' }).getKey('nope').catch((e) => e)
out.instanceOf = error instanceof KeycycleError && error.code === 'not_found'
console.log(JSON.stringify(out))
`

// A store package's own test, as it would be written without Vitest: Node's built-in runner,
// and an `expect` of a few lines over node:assert. `--broken` runs it against a store whose
// compare-and-set always says yes, which the suite must catch.
const conformanceScript = `
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { after, before, describe, it } from 'node:test'
import { describeStore } from 'keycycle/conformance'
import { memoryStore } from 'keycycle/memory'

// Nothing here can reach vitest, so whatever passes ran without it.
assert.throws(() => createRequire(import.meta.url).resolve('vitest'))

// Like Jest's toEqual, properties that are undefined count as absent.
const defined = (v) =>
  Array.isArray(v) ? v.map(defined)
  : v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype
    ? Object.fromEntries(Object.entries(v).flatMap(([k, x]) => (x === undefined ? [] : [[k, defined(x)]])))
    : v
const same = (a, b) => {
  try {
    assert.deepStrictEqual(defined(a), defined(b))
    return true
  } catch {
    return false
  }
}
// vitest's toMatchObject: objects by the expected keys, arrays item by item at equal length.
const matches = (actual, expected) =>
  Array.isArray(expected)
    ? Array.isArray(actual) && actual.length === expected.length &&
      expected.every((v, i) => matches(actual[i], v))
    : typeof expected !== 'object' || expected === null
      ? same(actual, expected)
      : typeof actual === 'object' && actual !== null &&
        Object.entries(expected).every(([k, v]) => matches(actual[k], v))
function expect(actual) {
  const assertions = (negated) => {
    const check = (pass, what) => {
      if (pass === negated) assert.fail(\`expected \${String(actual)} \${negated ? 'not ' : ''}\${what}\`)
    }
    return {
      toBe: (e) => check(Object.is(actual, e), \`to be \${e}\`),
      toEqual: (e) => check(same(actual, e), 'to equal'),
      toMatchObject: (e) => check(matches(actual, e), 'to match'),
      toContain: (e) => check(actual.includes(e), \`to contain \${e}\`),
      toHaveLength: (n) => check(actual.length === n, \`to have length \${n}\`),
      toBeNull: () => check(actual === null, 'to be null'),
      toBeInstanceOf: (t) => check(actual instanceof t, 'to be an instance'),
      toBeGreaterThan: (n) => check(actual > n, \`to be > \${n}\`),
      toBeGreaterThanOrEqual: (n) => check(actual >= n, \`to be >= \${n}\`),
    }
  }
  return { ...assertions(false), not: assertions(true) }
}

const broken = process.argv.includes('--broken')
describeStore(
  {
    name: broken ? 'broken memory' : 'memory',
    rotations: 50,
    async open() {
      const inner = memoryStore()
      const store = broken
        ? { ...inner, updateKey: async (next, version) => (await inner.updateKey(next, version), true) }
        : inner
      return {
        store,
        clients: [store],
        dump: async () => JSON.stringify(inner.snapshot()),
        close: async () => {},
      }
    },
  },
  { describe, it, expect, beforeAll: before, afterAll: after },
)
`

describe('the packed package', () => {
  let dir = ''
  const run = (file: string) =>
    JSON.parse(execFileSync(process.execPath, [file], { cwd: dir, encoding: 'utf8' }))

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'keycycle-pack-'))
    // dist/ comes from the global build setup (test/setup/build.ts).
    const packed = execFileSync(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    )
    const tarball = JSON.parse(packed)[0].filename as string
    const installed = join(dir, 'node_modules', 'keycycle')
    mkdirSync(installed, { recursive: true })
    execFileSync('tar', ['-xzf', join(dir, tarball), '-C', installed, '--strip-components=1'])
    for (const dep of [...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]) {
      mkdirSync(join(dir, 'node_modules', dep, '..'), { recursive: true })
      symlinkSync(join(ROOT, 'node_modules', dep), join(dir, 'node_modules', dep))
    }
    writeFileSync(join(dir, 'esm.mjs'), body('await import(name)'))
    writeFileSync(join(dir, 'conformance.mjs'), conformanceScript)
    writeFileSync(join(dir, 'cjs.cjs'), `(async () => {${body('require(name)')}})()`)
  }, 180_000)

  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('ships only the build and the README', () => {
    const files = execFileSync('tar', ['-tzf', join(dir, readdirTarball(dir))], {
      encoding: 'utf8',
    })
    expect(files).toContain('package/dist/index.js')
    expect(files).not.toMatch(/package\/(src|test|adapters)\//)
  })

  it('loads every entry with import and with require, with the same exports', () => {
    const esm = run('esm.mjs')
    const cjs = run('cjs.cjs')
    for (const name of subpaths) {
      expect(esm[name].length, name).toBeGreaterThan(0)
      expect(cjs[name]).toEqual(esm[name])
    }
    expect(esm).toMatchObject({ verified: true, instanceOf: true })
    expect(cjs).toMatchObject({ verified: true, instanceOf: true })
  })

  it('runs keycycle/conformance under another runner, without vitest, and it catches a broken store', () => {
    const suite = (...args: string[]) => {
      const { status, stdout, stderr } = spawnSync(
        process.execPath,
        ['--test-reporter=tap', 'conformance.mjs', ...args],
        { cwd: dir, encoding: 'utf8' },
      )
      const count = (name: string) =>
        Number(stdout.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1])
      return { status, pass: count('pass'), fail: count('fail'), output: stdout + stderr }
    }
    const good = suite()
    expect(good, good.output).toMatchObject({ status: 0, fail: 0 })
    expect(good.pass).toBeGreaterThanOrEqual(14)
    const broken = suite('--broken')
    expect(broken.status, broken.output).not.toBe(0)
    expect(broken.fail).toBeGreaterThanOrEqual(2)
    expect(broken.output).toContain('compare-and-set')
  })

  it('keeps instanceof KeycycleError true across the ESM and CommonJS builds', () => {
    writeFileSync(
      join(dir, 'mixed.mjs'),
      `import { createRequire } from 'node:module'
import { KeycycleError } from 'keycycle'
const cjs = createRequire(import.meta.url)('keycycle')
const error = new cjs.KeycycleError('conflict', 'x')
console.log(JSON.stringify({ cross: error instanceof KeycycleError, same: cjs.KeycycleError === KeycycleError }))`,
    )
    expect(run('mixed.mjs')).toEqual({ cross: true, same: false })
  })

  it('type-checks every entry from an ES module and from a CommonJS module', () => {
    const imports = subpaths.map((s, i) => `import * as e${i} from '${s}'\nvoid e${i}`).join('\n')
    writeFileSync(
      join(dir, 'check.mts'),
      `${imports}\nimport type { Keycycle, KeyStore } from 'keycycle'\nexport type T = [Keycycle, KeyStore]\n`,
    )
    writeFileSync(join(dir, 'check.cts'), `${imports}\n`)
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        files: ['check.mts', 'check.cts'],
      }),
    )
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
    expect(() =>
      execFileSync(process.execPath, [tsc, '-p', dir], { cwd: dir, encoding: 'utf8' }),
    ).not.toThrow()
  })
})

function readdirTarball(dir: string): string {
  return execFileSync('ls', [dir], { encoding: 'utf8' })
    .split('\n')
    .find((f) => f.endsWith('.tgz'))!
}
