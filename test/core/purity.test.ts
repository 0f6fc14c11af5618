import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ADMIN } from '../../src/conformance/fixtures'
import { effectiveConfig } from '../../src/core/config'
import { decideVerification } from '../../src/core/decide-verification'
import { createDigester } from '../../src/core/digest'
import { newId } from '../../src/core/ids'
import { applyKeyPatch, newKeyRecord } from '../../src/core/keys'
import { newOrganisation } from '../../src/core/organisations'
import { regenerate, rotate } from '../../src/core/rotation'
import { transition } from '../../src/core/states'
import { mintToken, parseToken, tokenHint } from '../../src/core/token'

const CORE = join(import.meta.dirname, '../../src/core')

/** Every TypeScript file under src/core, in every folder, relative to it. */
const CORE_FILES = readdirSync(CORE, { recursive: true, encoding: 'utf8' }).filter((f) =>
  f.endsWith('.ts'),
)

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
}

/**
 * The only uses of a banned name the core may make, by file, each exactly once: conversions of
 * a value the caller passed, which read no clock.
 */
const ALLOWED: Record<string, { code: string; why: string }[]> = {
  [join('schema', 'codecs.ts')]: [
    { code: 'new Date(value).toISOString()', why: 'instant.toWire: epoch ms → ISO 8601' },
    { code: 'Date.parse(value)', why: 'instant.fromWire: ISO 8601 → epoch ms' },
    { code: 'value instanceof Date', why: 'readInstant: a Date the caller passed → epoch ms' },
    { code: 'number | Date', why: 'InstantInput: the type the JavaScript API takes' },
    { code: "'`Date` or epoch ms in, epoch ms out'", why: "settableInstant: the docs' words" },
  ],
}

/** Packages the core may import: pure functions of their arguments, as the core calls them. */
const PACKAGES = [
  '@noble/hashes/hmac.js', // HMAC over bytes it is given
  '@noble/hashes/sha2.js',
  '@noble/hashes/utils.js',
  'ulid', // called with the caller's time and bytes (ids.ts), never its own clock or PRNG
  'ipaddr.js', // parses and matches addresses it is given (ip-rules.ts)
]

describe('the core is pure', () => {
  it('scans every file under src/core, its folders included', () => {
    expect(CORE_FILES.length).toBeGreaterThan(20)
    expect(CORE_FILES).toContain(join('schema', 'codecs.ts'))
  })

  it('never names the clock, a random source, timers or Node built-ins in its code', () => {
    const banned = [
      /\bDate\b/,
      /\bcrypto\b/,
      /Math\.random/,
      /\bperformance\b/,
      /\bprocess\b/,
      /setTimeout|setInterval/,
      /from 'node:/,
    ]
    for (const file of CORE_FILES) {
      let code = withoutComments(readFileSync(join(CORE, file), 'utf8'))
      for (const { code: allowed, why } of ALLOWED[file] ?? []) {
        const uses = code.split(allowed).length - 1
        expect(uses, `${file}: ${allowed} (${why}) once`).toBe(1)
        code = code.replace(allowed, '')
      }
      for (const pattern of banned) expect(code, `${file} uses ${pattern}`).not.toMatch(pattern)
    }
  })

  it('imports nothing outside src/core but the pure packages it names', () => {
    for (const file of CORE_FILES) {
      const path = join(CORE, file)
      const { importedFiles } = ts.preProcessFile(readFileSync(path, 'utf8'), true, true)
      for (const { fileName: specifier } of importedFiles) {
        if (!specifier.startsWith('.')) {
          expect(PACKAGES, `${file} imports ${specifier}`).toContain(specifier)
          continue
        }
        const target = relative(CORE, resolve(dirname(path), specifier))
        expect(target.startsWith('..'), `${file} imports ${specifier}, outside src/core`).toBe(
          false,
        )
      }
    }
  })

  describe('runs a whole key life with the clock and Web Crypto booby-trapped', () => {
    afterEach(() => vi.restoreAllMocks())

    it('mints, rotates, patches, transitions and verifies using only what it is given', () => {
      const pool = crypto.getRandomValues(new Uint8Array(512))
      let offset = 0
      const take = (n: number) => {
        offset += n
        return pool.slice(offset - n, offset)
      }
      const trap = () => {
        throw new Error('the core read ambient time or randomness')
      }
      vi.spyOn(Date, 'now').mockImplementation(trap)
      vi.spyOn(globalThis.crypto, 'getRandomValues').mockImplementation(trap)
      vi.spyOn(Math, 'random').mockImplementation(trap)
      const RealDate = Date
      vi.stubGlobal('Date', new Proxy(RealDate, { construct: trap }))

      const now = 1_800_000_000_000
      const admin = ADMIN
      const digest = createDigester('pepper-of-sixteen-bytes')
      const orgId = newId('org', now, take(16))
      const organisation = newOrganisation({ storageConfig: 1 }, orgId, admin, now)
      const keyId = newId('key', now, take(16))
      const first = mintToken('kc', keyId, take(32))
      const minted = (t: { token: string; secret: string }) => ({
        digest: digest(keyId, t.secret),
        hint: tokenHint(t.token),
      })
      let record = newKeyRecord(
        { organisation: orgId, type: 'trial' },
        keyId,
        minted(first),
        admin,
        now,
        1000,
      )
      const second = mintToken('kc', keyId, take(32))
      record = rotate(
        record,
        { slot: 'primary', force: false },
        minted(second),
        admin,
        now + 1,
        500,
      ).record
      record = regenerate(
        record,
        'secondary',
        minted(mintToken('kc', keyId, take(32))),
        admin,
        now + 2,
      )
      record = applyKeyPatch(record, { name: 'ci' }, admin, now + 3).record
      record = transition(record, 'deactivate', admin, now + 4).record
      record = transition(record, 'activate', admin, now + 5).record

      const parsed = parseToken(first.token, 'kc')!
      const presented = digest(parsed.keyId, parsed.secret)
      const result = decideVerification({
        found: { key: record, organisation },
        digestFor: () => presented,
        now: now + 6,
      })
      expect(result).toMatchObject({ ok: true, graceEndsAt: now + 501 })
      expect(effectiveConfig(record, organisation).storageConfig).toEqual({
        value: 1,
        source: 'organisation',
      })
      vi.unstubAllGlobals()
    })
  })
})
