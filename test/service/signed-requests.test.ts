import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { KeycycleError } from '../../src'
import { HOUR } from '../helpers/clock'
import { ADMIN, newOrg, setup } from '../helpers/setup'

// Signatures here are made by node:crypto's createHmac, following NCP's published algorithm
// independently of keycycle/sign (Web Crypto) and of the server's own HMAC path.
const KEK = { id: 'k1', key: new Uint8Array(32).fill(7) }
const MINUTE = 60_000

function signed(method: string, target: string, at: number, keyId: string, token: string) {
  const message = `${method} ${target}\n${at}\n${keyId}`
  return {
    method,
    target,
    headers: {
      'x-ncp-apigw-timestamp': String(at),
      'x-ncp-iam-access-key': keyId,
      'x-ncp-apigw-signature-v2': createHmac('sha256', token).update(message).digest('base64'),
    },
  }
}

async function signingKey(options: Parameters<typeof setup>[0] = {}) {
  const ctx = setup({ secretEncryption: { keys: [KEK] }, ...options })
  const o = await newOrg(ctx.kc)
  const created = await ctx.kc.asAdmin('ops').createKey({ organisation: o.id, signing: true })
  const target = `/api/v1//api-keys/${created.key.id}`
  const sign = (at = ctx.clock.now(), token = created.token, method = 'PATCH', path = target) =>
    signed(method, path, at, created.key.id, token)
  return { ...ctx, o, created, target, sign }
}

describe('signed requests (NCP signature v2)', () => {
  it('verifies a request signed with a signing key, with the result verify gives', async () => {
    const { kc, created, sign } = await signingKey()
    expect(created.key.signing).toBe(true)
    const result = await kc.verifyRequest(sign())
    expect(result).toMatchObject({ ok: true, slot: 'primary', rotating: false })
    expect(result.ok && result.key.id).toBe(created.key.id)
    // The token still works as a bearer credential unless the key is signature-only.
    expect(await kc.verify(created.token)).toMatchObject({ ok: true })
  })

  it('accepts a timestamp up to 5 min either way and refuses 5 min + 1 ms as stale', async () => {
    const { kc, clock, sign } = await signingKey()
    const now = clock.now()
    expect(await kc.verifyRequest(sign(now - 5 * MINUTE))).toMatchObject({ ok: true })
    expect(await kc.verifyRequest(sign(now + 5 * MINUTE))).toMatchObject({ ok: true })
    for (const at of [now - 5 * MINUTE - 1, now + 5 * MINUTE + 1]) {
      expect(await kc.verifyRequest(sign(at))).toMatchObject({ ok: false, code: 'stale_signature' })
    }
  })

  it('refuses a signature over another method, path or access key, and a replay', async () => {
    const { kc, clock, created, sign, target } = await signingKey()
    const now = clock.now()
    const other = await kc.asAdmin('ops').createKey({ organisation: created.key.organisation })
    const wrong = [
      { ...sign(now, created.token, 'GET'), method: 'PATCH' },
      { ...sign(now, created.token, 'PATCH', '/api/v1/api-keys/x'), target },
      // Signed for this key but presented for another: the access key is part of the message.
      {
        ...sign(now),
        headers: { ...sign(now).headers, 'x-ncp-iam-access-key': other.key.id },
      },
      sign(now, other.token),
    ]
    for (const request of wrong) {
      expect(await kc.verifyRequest(request)).toMatchObject({ ok: false })
    }
    const request = sign(now)
    expect(await kc.verifyRequest(request)).toMatchObject({ ok: true })
    expect(await kc.verifyRequest(request)).toMatchObject({ ok: false, code: 'replayed' })
  })

  it('refuses a request missing any header, and an unknown access key as a wrong signature', async () => {
    const { kc, sign } = await signingKey()
    for (const name of [
      'x-ncp-apigw-timestamp',
      'x-ncp-iam-access-key',
      'x-ncp-apigw-signature-v2',
    ] as const) {
      const request = sign()
      const headers: Record<string, string> = { ...request.headers }
      delete headers[name]
      const result = await kc.verifyRequest({ ...request, headers })
      expect(result.ok, name).toBe(false)
    }
    const unknown = signed('GET', '/', Date.now(), 'key_01JD0000000000000000000000', 'x')
    unknown.headers['x-ncp-apigw-timestamp'] = String(sign().headers['x-ncp-apigw-timestamp'])
    expect(await kc.verifyRequest(unknown)).toMatchObject({ ok: false, code: 'not_found' })
  })

  it('verifies the retiring secret during grace and not after; force kills it at once', async () => {
    const { kc, clock, created, sign } = await signingKey()
    const t0 = clock.now()
    const rotated = await kc.asAdmin('ops').rotateKey(created.key.id)
    expect(rotated.key.signing).toBe(true)
    clock.set(t0 + 6 * HOUR - 1)
    expect(await kc.verifyRequest(sign())).toMatchObject({ ok: true, rotating: true })
    expect(await kc.verifyRequest(sign(clock.now(), rotated.token))).toMatchObject({
      ok: true,
      rotating: false,
    })
    clock.set(t0 + 6 * HOUR)
    expect(await kc.verifyRequest(sign())).toMatchObject({ ok: false, code: 'invalid' })
    const forced = await kc.asAdmin('ops').rotateKey(created.key.id, { force: true })
    expect(await kc.verifyRequest(sign(clock.now() + 1, rotated.token))).toMatchObject({
      ok: false,
      code: 'invalid',
    })
    expect(await kc.verifyRequest(sign(clock.now() + 2, forced.token))).toMatchObject({ ok: true })
  })

  it('keeps a signature-only key off bearer use', async () => {
    const { kc, o } = await signingKey()
    const only = await kc
      .asAdmin('ops')
      .createKey({ organisation: o.id, signing: true, signatureOnly: true })
    expect(await kc.verify(only.token)).toMatchObject({ ok: false, code: 'invalid' })
    const request = signed('GET', '/x', Date.now(), only.key.id, only.token)
    request.headers['x-ncp-apigw-timestamp'] = String(Date.now())
    await expect(
      kc.asAdmin('ops').updateKey(o.key.id, { signatureOnly: true }),
    ).rejects.toMatchObject({ code: 'validation' })
  })

  it('refuses signing without secretEncryption, and a non-signing key signs nothing', async () => {
    const { kc, clock } = setup()
    const o = await newOrg(kc)
    await expect(
      kc.asAdmin('ops').createKey({ organisation: o.id, signing: true }),
    ).rejects.toBeInstanceOf(KeycycleError)
    const request = signed('GET', '/', clock.now(), o.key.id, o.token)
    expect(await kc.verifyRequest(request)).toMatchObject({ ok: false, code: 'invalid' })
  })

  it('turns signing on by a rotation, and off again', async () => {
    const { kc, clock, o } = await signingKey()
    const on = await kc.as(o.actor).rotateKey(o.key.id, { signing: true, force: true })
    expect(on.key.signing).toBe(true)
    const sign = (token: string, at: number) => signed('GET', '/', at, o.key.id, token)
    expect(await kc.verifyRequest(sign(on.token, clock.now()))).toMatchObject({ ok: true })
    const off = await kc.as(o.actor).rotateKey(o.key.id, { signing: false })
    expect(off.key.signing).toBe(false)
    expect(await kc.verifyRequest(sign(off.token, clock.now() + 1))).toMatchObject({
      ok: false,
      code: 'invalid',
    })
    // The retiring token was signing; with signing off its sealed copy is gone.
    expect(await kc.verifyRequest(sign(on.token, clock.now() + 2))).toMatchObject({ ok: false })
  })

  it('does not open a sealed token copied onto another key', async () => {
    const { kc, store, clock, created, o } = await signingKey()
    const other = await kc.asAdmin('ops').createKey({ organisation: o.id, signing: true })
    const mine = await store.getKeyWithOrganisation(created.key.id)
    const theirs = await store.getKeyWithOrganisation(other.key.id)
    const moved = {
      ...theirs!.key,
      primary: { ...theirs!.key.primary, sealed: mine!.key.primary.sealed! },
    }
    expect(await store.updateKey(moved, theirs!.key.version)).toBe(true)
    const fresh = setup({ store, clock, secretEncryption: { keys: [KEK] } }).kc
    // Neither the other key's token nor this key's signs for the other key now.
    for (const token of [created.token, other.token]) {
      const request = signed('GET', '/', clock.now(), other.key.id, token)
      expect(await fresh.verifyRequest(request)).toMatchObject({ ok: false, code: 'invalid' })
    }
  })

  it('keeps no token in the clear in the stored record or the key view', async () => {
    const { store, created } = await signingKey()
    const raw = JSON.stringify(await store.getKeyWithOrganisation(created.key.id))
    const secret = created.token.split('_').at(-1)!
    expect(raw).not.toContain(secret.slice(0, 20))
    expect(raw).toContain('"sealed":"k1$')
    expect(JSON.stringify(created.key)).not.toContain('sealed')
  })

  it('re-keys: a second KEK first still opens what the first sealed', async () => {
    const { kc, store, clock, sign } = await signingKey()
    const next = { id: 'k2', key: new Uint8Array(32).fill(9) }
    const both = setup({ store, clock, secretEncryption: { keys: [next, KEK] } }).kc
    expect(await both.verifyRequest(sign())).toMatchObject({ ok: true })
    const only = setup({ store, clock, secretEncryption: { keys: [next] } }).kc
    expect(await only.verifyRequest(sign(clock.now() + 1))).toMatchObject({
      ok: false,
      code: 'invalid',
    })
    void kc
  })

  it('validates secretEncryption', () => {
    for (const keys of [[], [{ id: 'a', key: new Uint8Array(31) }], [KEK, KEK]]) {
      expect(() => setup({ secretEncryption: { keys } })).toThrow(KeycycleError)
    }
    void ADMIN
  })
})
