import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
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

function withoutComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
}

describe('the core is pure', () => {
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
    const files = readdirSync(CORE).filter((f) => f.endsWith('.ts'))
    expect(files.length).toBeGreaterThan(10)
    for (const file of files) {
      const code = withoutComments(readFileSync(join(CORE, file), 'utf8'))
      for (const pattern of banned) expect(code, `${file} uses ${pattern}`).not.toMatch(pattern)
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
