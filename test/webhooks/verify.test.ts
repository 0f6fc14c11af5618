import { createHmac } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KeycycleError } from '../../src'
import {
  type SignedWebhook,
  sendWebhook,
  signWebhook,
  verifyWebhook,
  type WebhookFormat,
} from '../../src/webhooks'
import { type Received, type Receiver, startReceiver } from './receiver'

const SECRETS: Record<WebhookFormat, string> = {
  ricloud: 'ricloud-secret',
  standard: `whsec_${Buffer.from('standard webhooks key, 32 bytes!').toString('base64')}`,
}
const OTHER: Record<WebhookFormat, string> = {
  ricloud: 'ricloud-secreT',
  standard: `whsec_${Buffer.from('standard webhooks key, 32 bytes?').toString('base64')}`,
}
const SENT_AT = 1_700_000_000_000
const message = {
  id: 'evt_01ARZ3NDEKTSV4RRFFQ69G5FAV',
  type: 'key.rotated',
  at: SENT_AT - 5_000,
  data: { id: 'key_01ARZ3NDEKTSV4RRFFQ69G5FAV', name: 'café ☕' },
}

let receiver: Receiver
const got: Partial<Record<WebhookFormat, Received>> = {}
beforeAll(async () => {
  receiver = await startReceiver()
  for (const format of ['ricloud', 'standard'] as const) {
    await sendWebhook({
      format,
      target: { url: receiver.url, secret: SECRETS[format] },
      message,
      now: () => SENT_AT,
      allowPrivateDestinations: true, // the receiver is on 127.0.0.1
    })
    got[format] = receiver.received.at(-1)!
  }
})
afterAll(() => receiver.close())

const at = (ms: number) => () => ms

describe.each(['ricloud', 'standard'] as const)('verifyWebhook, %s format', (format) => {
  const check = (overrides: Partial<Parameters<typeof verifyWebhook>[0]> = {}) =>
    verifyWebhook({
      format,
      secret: SECRETS[format],
      headers: got[format]!.headers,
      body: got[format]!.body,
      now: at(SENT_AT),
      ...overrides,
    })

  it('accepts what a real receiver got, non-ASCII body included', async () => {
    const result = await check()
    expect(result).toMatchObject({ ok: true, timestamp: SENT_AT })
    if (!result.ok) throw new Error('refused')
    expect(result.event.data).toEqual(message.data)
    expect(result.id).toBe(
      format === 'ricloud' ? '01563e3a-b5d3-d676-4c61-efb99302bd5b' : message.id,
    )
  })

  it('refuses a wrong secret, a changed body and a missing signature header', async () => {
    expect(await check({ secret: OTHER[format] })).toEqual({ ok: false, reason: 'bad_signature' })
    const changed = got[format]!.body.replace('café', 'cafe')
    expect(await check({ body: changed })).toEqual({ ok: false, reason: 'bad_signature' })
    const name = format === 'ricloud' ? 'ricloud-signature' : 'webhook-signature'
    const { [name]: _, ...headers } = got[format]!.headers
    expect(await check({ headers })).toEqual({ ok: false, reason: 'missing_header' })
  })

  it('refuses a timestamp beyond the tolerance either way, and accepts one at its edge', async () => {
    expect(await check({ now: at(SENT_AT + 301_000) })).toEqual({ ok: false, reason: 'stale' })
    expect(await check({ now: at(SENT_AT - 301_000) })).toEqual({ ok: false, reason: 'future' })
    expect((await check({ now: at(SENT_AT + 300_999) })).ok).toBe(true)
    expect((await check({ now: at(SENT_AT - 300_000) })).ok).toBe(true)
    expect(await check({ now: at(SENT_AT + 11_000), toleranceSec: 10 })).toEqual({
      ok: false,
      reason: 'stale',
    })
  })

  it('throws validation only for misuse', async () => {
    for (const misuse of [
      { secret: '' },
      { secret: undefined as unknown as string },
      { format: 'svix' as WebhookFormat },
      { body: { parsed: true } as unknown as string },
      { toleranceSec: -1 },
    ]) {
      const error = await check(misuse).catch((e: unknown) => e)
      expect(error, JSON.stringify(misuse)).toBeInstanceOf(KeycycleError)
      expect(error).toMatchObject({ code: 'validation' })
    }
  })
})

// Signs `body` as the sender would, with node:crypto, for deliveries our sender never makes.
const ricloudSig = (t: number, body: string, secret = SECRETS.ricloud) =>
  createHmac('sha256', secret).update(`${t}.${body}`).digest('base64')
const standardSig = (id: string, t: number, body: string) =>
  createHmac('sha256', Buffer.from(SECRETS.standard.slice(6), 'base64'))
    .update(`${id}.${t}.${body}`)
    .digest('base64')

describe('several signatures in one header', () => {
  const t = SENT_AT / 1000
  it('Standard Webhooks: any v1 entry of the space-delimited list may match; v1a is skipped', async () => {
    const { body } = got.standard!
    const id = message.id
    const good = standardSig(id, t, body)
    const headers = (signature: string) => ({
      'webhook-id': id,
      'webhook-timestamp': String(t),
      'webhook-signature': signature,
    })
    const verify = (signature: string) =>
      verifyWebhook({
        format: 'standard',
        secret: SECRETS.standard,
        headers: headers(signature),
        body,
        now: at(SENT_AT),
      })
    expect((await verify(`v1,${ricloudSig(t, body)} v1,${good}`)).ok).toBe(true)
    expect((await verify(`v1a,${good} v2,${good}`)).ok).toBe(false)
    expect(await verify(`v1,${ricloudSig(t, body)}`)).toMatchObject({ reason: 'bad_signature' })
  })

  it('ricloud: every s= entry is tried (ricloud itself sends one); t= must appear once', async () => {
    const { body } = got.ricloud!
    const verify = (header: string) =>
      verifyWebhook({
        format: 'ricloud',
        secret: SECRETS.ricloud,
        headers: { 'Ricloud-Signature': header },
        body,
        now: at(SENT_AT),
      })
    const good = ricloudSig(t, body)
    expect((await verify(`t=${t},s=${ricloudSig(t, body, 'old')},s=${good}`)).ok).toBe(true)
    expect((await verify(`t=${t}, s=${good}`)).ok).toBe(true)
    expect(await verify(`t=${t},t=${t},s=${good}`)).toMatchObject({ reason: 'malformed_header' })
    expect(await verify(`t=soon,s=${good}`)).toMatchObject({ reason: 'malformed_header' })
    expect(await verify(`s=${good}`)).toMatchObject({ reason: 'malformed_header' })
  })

  it('a signed body that is not the format’s JSON object is malformed_body', async () => {
    const body = '["not", "an", "event"]'
    const result = await verifyWebhook({
      format: 'ricloud',
      secret: SECRETS.ricloud,
      headers: { 'ricloud-signature': `t=${t},s=${ricloudSig(t, body)}` },
      body,
      now: at(SENT_AT),
    })
    expect(result).toEqual({ ok: false, reason: 'malformed_body' })
  })
})

describe('signWebhook', () => {
  it('signs each attempt at its own time, keeping the ID, URL and body', async () => {
    const sign = (now: number): Promise<SignedWebhook> =>
      signWebhook({
        format: 'ricloud',
        target: { url: 'https://hooks.example/in/', secret: SECRETS.ricloud },
        message,
        now: at(now),
      })
    const [first, retry] = await Promise.all([sign(SENT_AT), sign(SENT_AT + 60_000)])
    expect(first.url).toBe('https://hooks.example/in/01563e3a-b5d3-d676-4c61-efb99302bd5b')
    expect(retry.url).toBe(first.url)
    expect(retry.body).toBe(first.body)
    expect(retry.headers['Ricloud-Signature']).not.toBe(first.headers['Ricloud-Signature'])
  })

  it('refuses an ID that is neither evt_ + ULID nor a UUID, a bad secret or URL', async () => {
    const target = { url: 'https://hooks.example', secret: SECRETS.standard }
    const cases = [
      { message: { ...message, id: 'evt_1.2' }, target },
      { message, target: { ...target, secret: 'whsec_not base64!' } },
      { message, target: { ...target, url: 'ftp://hooks.example' } },
      { message, target: { ...target, url: '/relative' } },
    ]
    for (const { message: m, target: t } of cases) {
      await expect(
        signWebhook({ format: 'standard', target: t, message: m }),
      ).rejects.toMatchObject({ code: 'validation' })
    }
  })
})
