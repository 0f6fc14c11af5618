import { describe, expect, it } from 'vitest'
import { KeycycleError } from '../../src'
import { eventMessage } from '../../src/webhooks/delivery'
import { signWebhook } from '../../src/webhooks/sign'
import { verifyWebhook } from '../../src/webhooks/verify-webhook'
import { newOrg, setup } from '../helpers/setup'

const KEK = { id: 'k1', key: new Uint8Array(32).fill(7) }

async function revealSetup(allowReveal: boolean | undefined) {
  const ctx = setup({
    secretEncryption: { keys: [KEK] },
    ...(allowReveal === undefined ? {} : { allowReveal }),
  })
  const o = await newOrg(ctx.kc)
  const admin = ctx.kc.asAdmin('ops-alice')
  const created = await admin.createKey({ organisation: o.id, signing: true })
  return { ...ctx, o, admin, created }
}

async function refusal(promise: Promise<unknown>): Promise<KeycycleError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(KeycycleError)
  return error as KeycycleError
}

describe('revealKey (admin only, off by default)', () => {
  it('gives an admin a signing key’s current token and records key.revealed with its ID', async () => {
    const { kc, admin, created, events } = await revealSetup(true)
    const revealed = await admin.revealKey(created.key.id)
    expect(revealed).toMatchObject({ slot: 'primary', token: created.token })
    expect(revealed.key.id).toBe(created.key.id)
    await kc.drainEvents()
    const event = events.find((e) => e.type === 'key.revealed')
    expect(event).toMatchObject({
      type: 'key.revealed',
      slot: 'primary',
      actor: { kind: 'admin', id: 'ops-alice' },
    })
    expect(JSON.stringify(event)).not.toContain(created.token)
    // The webhook message says which slot and who, never the token.
    const message = eventMessage(event!)
    expect(message).toMatchObject({
      type: 'key.revealed',
      data: { id: created.key.id, reveal: { slot: 'primary', by: 'ops-alice' } },
    })
    expect(JSON.stringify(message)).not.toContain(created.token)
    // Both webhook formats take the new type: signed, then verified as a receiver would.
    for (const [format, secret] of [
      ['ricloud', 'ricloud-secret'],
      ['standard', 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    ] as const) {
      const target = { url: 'https://example.com/hooks', secret }
      const signed = await signWebhook({ format, target, message })
      const received = await verifyWebhook({
        format,
        secret,
        headers: signed.headers,
        body: signed.body,
      })
      expect(JSON.stringify(received)).toContain('revealed')
    }
  })

  it('reveals the secondary slot and the token a rotation minted', async () => {
    const { admin, created } = await revealSetup(true)
    const second = await admin.regenerateKey(created.key.id, 'secondary')
    expect((await admin.revealKey(created.key.id, 'secondary')).token).toBe(second.token)
    const rotated = await admin.rotateKey(created.key.id)
    expect((await admin.revealKey(created.key.id)).token).toBe(rotated.token)
  })

  it('is forbidden when allowReveal is off (the default), recording nothing', async () => {
    for (const allow of [undefined, false]) {
      const { kc, admin, created, events } = await revealSetup(allow)
      const error = await refusal(admin.revealKey(created.key.id))
      expect(error.code).toBe('forbidden')
      expect(error.message).not.toContain(created.token)
      await kc.drainEvents()
      expect(events.some((e) => e.type === 'key.revealed')).toBe(false)
    }
  })

  it('is forbidden for an organisation, even its own key', async () => {
    const { kc, o, created, events } = await revealSetup(true)
    const error = await refusal(kc.asOrganisation(o.id).revealKey(created.key.id))
    expect(error.code).toBe('forbidden')
    await kc.drainEvents()
    expect(events.some((e) => e.type === 'key.revealed')).toBe(false)
  })

  it('refuses a key that keeps no token (conflict) and an unknown key (not_found)', async () => {
    const { admin, o } = await revealSetup(true)
    const plain = await admin.createKey({ organisation: o.id })
    expect((await refusal(admin.revealKey(plain.key.id))).code).toBe('conflict')
    const unknown = 'key_01ARZ3NDEKTSV4RRFFQ69G5FAV'
    expect((await refusal(admin.revealKey(unknown))).code).toBe('not_found')
  })
})
