import { importedHexOfRecord } from '../core/imported'
import { createKeycycle } from '../service/keycycle'
import type { KeyStore } from '../store'
import { ADMIN, HOUR, manualClock } from './fixtures'
import type { StoreSuiteContext } from './suite-context'

const storeTimeoutMs = 30_000

// The error a call rejects with, or 'resolved': the suite's `expect` has no `.rejects`.
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => error,
  )

// A token of another system's format, unique per call, and its SHA-256 as hex and base64.
async function oldToken(label: string) {
  const token = `sk_live_${label}_${globalThis.crypto.randomUUID().replace(/-/g, '')}`
  const bytes = new Uint8Array(
    await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)),
  )
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
  const base64 = btoa(String.fromCharCode(...bytes))
  return { token, hex, base64 }
}

/**
 * Importing existing tokens (`docs/decisions.md#importing-keys`): by token and by digest (hex
 * and base64), verified through `kc.verify` by every client, rotated (the old token retiring,
 * then gone after the grace period), idempotent, refused when malformed, and the store's
 * digest index following the records.
 */
export function importSuite({ test, runner: { expect } }: StoreSuiteContext): void {
  const service = (store: KeyStore, clock = manualClock()) => ({
    kc: createKeycycle({ store, clock, storeTimeoutMs, importedTokens: true, gracePeriodMs: HOUR }),
    clock,
  })

  test('imports by token and by digest (hex, base64); each verifies on every client', async ({
    store,
    clients,
    dump,
  }) => {
    const { kc } = service(store)
    const { organisation } = await kc.createOrganisation()
    const admin = kc.as(ADMIN)
    const [a, b, c] = [await oldToken('a'), await oldToken('b'), await oldToken('c')]
    const byToken = await admin.importKey({ organisation: organisation.id, token: a.token })
    const byHex = await admin.importKey({
      organisation: organisation.id,
      digest: b.hex.toUpperCase(),
      hint: b.token.slice(-4),
    })
    const byBase64 = await admin.importKey({
      organisation: organisation.id,
      digest: c.base64,
      name: 'legacy',
      permissions: ['reports:read'],
    })
    expect(byToken).toMatchObject({
      created: true,
      key: { primary: { hint: `*****${a.token.slice(-4)}` } },
    })
    expect(byHex.key.primary.hint).toBe(`*****${b.token.slice(-4)}`)
    expect(byBase64.key).toMatchObject({
      name: 'legacy',
      permissions: ['reports:read'],
      state: 'active',
    })
    for (const client of clients) {
      const other = createKeycycle({
        store: client,
        clock: manualClock(),
        storeTimeoutMs,
        importedTokens: true,
      })
      for (const [old, imported] of [
        [a, byToken],
        [b, byHex],
        [c, byBase64],
      ] as const) {
        expect(await other.verify(old.token)).toMatchObject({
          ok: true,
          key: { id: imported.key.id },
        })
      }
      expect(await other.verify(`${a.token}x`)).toMatchObject({ ok: false, code: 'not_found' })
      expect(await other.verify('not-a-token')).toMatchObject({ ok: false, code: 'not_found' })
      await other.close()
    }
    expect(await kc.verify(c.token, { permissions: 'reports:read' })).toMatchObject({ ok: true })
    // Without the option, a token of another format is malformed, and no store call is made.
    const plain = createKeycycle({ store, clock: manualClock(), storeTimeoutMs })
    expect(await plain.verify(a.token)).toMatchObject({ ok: false, code: 'malformed' })
    await plain.close()
    // The old token is never stored; its SHA-256 is (as strong as the host's old scheme).
    const raw = await dump()
    for (const old of [a, b, c]) expect(raw.includes(old.token)).toBe(false)
    expect(await kc.pepperUsage()).toMatchObject({ 'import:sha256': 3 })
    await kc.close()
  })

  test('is idempotent by digest: a re-import answers the key, another organisation conflicts', async ({
    store,
  }) => {
    const { kc } = service(store)
    const first = await kc.createOrganisation()
    const second = await kc.createOrganisation()
    const admin = kc.as(ADMIN)
    const old = await oldToken('again')
    const made = await admin.importKey({ organisation: first.organisation.id, token: old.token })
    const again = await admin.importKey({ organisation: first.organisation.id, digest: old.base64 })
    expect(again).toMatchObject({ created: false, key: { id: made.key.id } })
    expect(
      await failure(admin.importKey({ organisation: second.organisation.id, token: old.token })),
    ).toMatchObject({ code: 'conflict' })
    const found = await store.findKeyByImportedDigest!(old.hex)
    expect(found?.key.id).toBe(made.key.id)
    expect(found?.organisation.id).toBe(first.organisation.id)
    expect(await store.findKeyByImportedDigest!('0'.repeat(64))).toBeNull()
    await kc.close()
  })

  test('rotates an imported key: a keycycle token, the old one retiring, then gone', async ({
    store,
  }) => {
    const { kc, clock } = service(store)
    const { organisation } = await kc.createOrganisation()
    const admin = kc.as(ADMIN)
    const old = await oldToken('rotate')
    const { key } = await admin.importKey({ organisation: organisation.id, token: old.token })
    const rotated = await admin.rotateKey(key.id)
    expect(rotated.token.startsWith('kc_')).toBe(true)
    expect(await kc.verify(rotated.token)).toMatchObject({ ok: true, key: { id: key.id } })
    expect(await kc.verify(old.token)).toMatchObject({
      ok: true,
      key: { id: key.id },
      graceEndsAt: clock.now() + HOUR,
    })
    clock.advance(HOUR)
    expect((await kc.verify(old.token)).ok).toBe(false)
    expect(await kc.verify(rotated.token)).toMatchObject({ ok: true })
    // A second rotation drops the old token from the record: the index no longer answers it.
    await admin.rotateKey(key.id, { force: true })
    const found = await store.findKeyByImportedDigest!(old.hex)
    expect(found === null || importedHexOfRecord(found.key) !== old.hex).toBe(true)
    expect((await kc.verify(old.token)).ok).toBe(false)
    await kc.close()
  })

  test('a forced rotation, a regeneration and a deletion stop the old token at once', async ({
    store,
  }) => {
    const { kc } = service(store)
    const { organisation } = await kc.createOrganisation()
    const admin = kc.as(ADMIN)
    const [x, y, z] = [await oldToken('x'), await oldToken('y'), await oldToken('z')]
    const kx = await admin.importKey({ organisation: organisation.id, token: x.token })
    const ky = await admin.importKey({ organisation: organisation.id, token: y.token })
    const kz = await admin.importKey({ organisation: organisation.id, token: z.token })
    await admin.rotateKey(kx.key.id, { force: true })
    await admin.regenerateKey(ky.key.id, 'primary')
    await admin.deleteKey(kz.key.id)
    for (const old of [x, y, z]) expect((await kc.verify(old.token)).ok).toBe(false)
    expect(await store.findKeyByImportedDigest!(z.hex)).toBeNull()
    // Once dropped from its key, the token may be imported afresh.
    const fresh = await admin.importKey({ organisation: organisation.id, token: x.token })
    expect(fresh.created).toBe(true)
    expect(await kc.verify(x.token)).toMatchObject({ ok: true, key: { id: fresh.key.id } })
    await kc.close()
  })

  test('refuses a malformed digest, both or neither of token and digest, and non-admins', async ({
    store,
  }) => {
    const { kc } = service(store)
    const { organisation } = await kc.createOrganisation()
    const admin = kc.as(ADMIN)
    const old = await oldToken('bad')
    const organisationId = organisation.id
    for (const digest of [
      'abc',
      `${old.hex}0`,
      old.hex.replace(/^./, 'g'),
      `${old.base64}==`,
      42,
    ]) {
      expect(
        await failure(admin.importKey({ organisation: organisationId, digest: digest as string })),
      ).toMatchObject({ code: 'validation', details: { field: 'digest' } })
    }
    expect(
      await failure(
        admin.importKey({ organisation: organisationId, token: old.token, digest: old.hex }),
      ),
    ).toMatchObject({ code: 'validation' })
    expect(await failure(admin.importKey({ organisation: organisationId }))).toMatchObject({
      code: 'validation',
    })
    expect(
      await failure(admin.importKey({ organisation: organisationId, token: 'kc_looks_like_ours' })),
    ).toMatchObject({ code: 'validation', details: { field: 'token' } })
    expect(
      await failure(kc.asOrganisation(organisationId).importKey({ token: old.token })),
    ).toMatchObject({ code: 'forbidden' })
    expect(await store.findKeyByImportedDigest!(old.hex)).toBeNull()
    await kc.close()
  })
}
