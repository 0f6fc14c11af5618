import type { Actor } from '../core/types'
import { createKeycycle } from '../service/keycycle'
import { signRequest } from '../sign'
import type { KeyStore } from '../store'
import { ADMIN, HOUR, manualClock } from './fixtures'
import type { StoreSuiteContext } from './suite-context'

const storeTimeoutMs = 30_000
const MINUTE = 60_000
/** The key-encryption keys the suite seals under (fixed bytes: a test's, never a host's). */
const KEK = { id: 'suite1', key: new Uint8Array(32).fill(0x5a) }

/**
 * Signed requests over the store: a signing key's sealed tokens round-trip through it (a second
 * instance, with nothing remembered, verifies what the first sealed), and never in the clear.
 */
export function signingSuite({ test, runner: { expect } }: StoreSuiteContext): void {
  const service = (store: KeyStore, clock = manualClock()) => ({
    kc: createKeycycle({ store, clock, storeTimeoutMs, secretEncryption: { keys: [KEK] } }),
    clock,
  })
  const signed = async (keyId: string, token: string, at: number, method = 'PATCH') => {
    const target = `/api/v1//api-keys/${keyId}`
    const headers = await signRequest({
      method,
      target,
      accessKey: keyId,
      secretKey: token,
      timestamp: at,
    })
    return { method: 'PATCH', target, headers: headers as unknown as Record<string, string> }
  }

  test('verifies a signed request once, and refuses stale, altered, replayed and partial ones', async ({
    store,
  }) => {
    const { kc, clock } = service(store)
    const created = await kc.createOrganisation()
    const key = await kc
      .as(ADMIN)
      .createKey({ organisation: created.organisation.id, signing: true })
    const id = key.key.id
    // A second instance reads the sealed token from the store, never from the first's memory.
    const other = service(store, clock).kc
    const now = clock.now()
    const ok = await signed(id, key.token, now)
    expect(await other.verifyRequest(ok)).toMatchObject({ ok: true, slot: 'primary' })
    expect(await other.verifyRequest(ok)).toMatchObject({ ok: false, code: 'replayed' })
    for (const at of [now - 5 * MINUTE - 1, now + 5 * MINUTE + 1]) {
      const stale = await signed(id, key.token, at)
      expect(await other.verifyRequest(stale)).toMatchObject({ code: 'stale_signature' })
    }
    const refusals = [
      await signed(id, key.token, now + 1, 'GET'),
      await signed(id, created.token, now + 2),
      { ...(await signed(id, key.token, now + 3)), target: `/api/v1/api-keys/${id}` },
    ]
    const partial = await signed(id, key.token, now + 4)
    delete partial.headers['x-ncp-apigw-signature-v2']
    refusals.push(partial)
    for (const request of refusals) {
      expect(await other.verifyRequest(request)).toMatchObject({ ok: false })
    }
    expect(await kc.verifyRequest(await signed(id, key.token, now + 5))).toMatchObject({ ok: true })
  })

  test('verifies the retiring token during grace only; a forced rotation ends it at once', async ({
    store,
  }) => {
    const { kc, clock } = service(store)
    const created = await kc.createOrganisation()
    const me: Actor = { kind: 'organisation', id: created.organisation.id }
    const first = await kc.as(me).rotateKey(created.key.id, { signing: true, force: true })
    const t0 = clock.now()
    const second = await kc.as(me).rotateKey(created.key.id)
    const fresh = () => service(store, clock).kc
    clock.set(t0 + 6 * HOUR - 1)
    expect(
      await fresh().verifyRequest(await signed(first.key.id, first.token, clock.now())),
    ).toMatchObject({
      ok: true,
      rotating: true,
    })
    clock.set(t0 + 6 * HOUR)
    expect(
      await fresh().verifyRequest(await signed(first.key.id, first.token, clock.now())),
    ).toMatchObject({ ok: false, code: 'invalid' })
    const third = await kc.as(me).rotateKey(created.key.id, { force: true })
    const at = clock.now() + 1
    expect(await fresh().verifyRequest(await signed(third.key.id, second.token, at))).toMatchObject(
      {
        ok: false,
        code: 'invalid',
      },
    )
    expect(await fresh().verifyRequest(await signed(third.key.id, third.token, at))).toMatchObject({
      ok: true,
    })
  })

  test('keeps no signing token in the clear in raw storage, and a moved sealing opens nothing', async ({
    store,
    dump,
  }) => {
    const { kc, clock } = service(store)
    const created = await kc.createOrganisation()
    const org = created.organisation.id
    const a = await kc.as(ADMIN).createKey({ organisation: org, signing: true })
    const b = await kc
      .as(ADMIN)
      .createKey({ organisation: org, signing: true, signatureOnly: true })
    const rotated = await kc.as(ADMIN).rotateKey(a.key.id, { slot: 'secondary' })
    const raw = await dump()
    expect(raw).toContain(`${KEK.id}$`)
    for (const token of [a.token, b.token, rotated.token]) {
      const secret = token.slice(-49, -6)
      expect(raw).not.toContain(token)
      for (let i = 0; i + 12 <= secret.length; i++)
        expect(raw).not.toContain(secret.slice(i, i + 12))
    }
    expect(await kc.verify(b.token)).toMatchObject({ ok: false, code: 'invalid' })
    // a's sealed primary copied onto b's record: it was bound to a's ID and does not open.
    const found = await store.getKeyWithOrganisation(b.key.id)
    const sealedA = (await store.getKeyWithOrganisation(a.key.id))!.key.primary.sealed!
    const moved = { ...found!.key, primary: { ...found!.key.primary, sealed: sealedA } }
    expect(await store.updateKey(moved, found!.key.version)).toBe(true)
    const fresh = service(store, clock).kc
    for (const token of [a.token, b.token]) {
      const request = await signed(b.key.id, token, clock.now())
      expect(await fresh.verifyRequest(request)).toMatchObject({ ok: false, code: 'invalid' })
    }
  })
}
