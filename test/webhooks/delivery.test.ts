import { createHmac } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { KeycycleError, type KeycycleEvent } from '../../src'
import {
  eventIdFromUuid,
  eventUuid,
  verifyWebhook,
  WebhookDestinationError,
  type WebhookTarget,
  webhookDelivery,
} from '../../src/webhooks'
import { realEvents } from './events'
import { type Receiver, startReceiver } from './receiver'

const RICLOUD_SECRET = 'a ricloud secret, used as its UTF-8 bytes'
const KEY_BYTES = Buffer.from('0123456789abcdef0123456789abcdef')
const STANDARD_SECRET = `whsec_${KEY_BYTES.toString('base64')}`

let receiver: Receiver | undefined
afterEach(async () => {
  await receiver?.close()
  receiver = undefined
})

const target = (url: string, secret: string) => () => ({ url, secret })
// The receivers listen on 127.0.0.1, a loopback address deliveries refuse unless allowed.
const LOCAL = { allowPrivateDestinations: true } as const

describe('webhookDelivery, ricloud format, to a real receiver', () => {
  it('POSTs to <url>/<event UUID> a body and Ricloud-Signature that verify', async () => {
    const { rotated, tokens } = await realEvents()
    receiver = await startReceiver()
    const seen: unknown[] = []
    const onEvent = webhookDelivery({
      ...LOCAL,
      format: 'ricloud',
      resolve: (id, event) => {
        seen.push([id, event.id])
        return { url: `${receiver!.url}/webhooks/`, secret: RICLOUD_SECRET }
      },
    })
    await onEvent(rotated)
    expect(seen).toEqual([[7, rotated.id]])
    const [got] = receiver.received
    const uuid = eventUuid(rotated.id)
    expect(got!.method).toBe('POST')
    expect(got!.path).toBe(`/webhooks/${uuid}`)
    expect(eventIdFromUuid(uuid)).toBe(rotated.id)
    expect(got!.headers['content-type']).toBe('application/json')

    // The header, checked by an implementation other than ours (node:crypto).
    const header = got!.headers['ricloud-signature'] as string
    const [, t, s] = /^t=(\d+),s=([A-Za-z0-9+/=]+)$/.exec(header)!
    const expected = createHmac('sha256', RICLOUD_SECRET).update(`${t}.${got!.body}`).digest()
    expect(Buffer.from(s!, 'base64').equals(expected)).toBe(true)
    expect(Math.abs(Number(t) - Date.now() / 1000)).toBeLessThan(5)

    const result = await verifyWebhook({
      format: 'ricloud',
      secret: RICLOUD_SECRET,
      headers: got!.headers,
      body: got!.body,
    })
    expect(result).toMatchObject({ ok: true, id: uuid, timestamp: Number(t) * 1000 })
    expect(JSON.parse(got!.body)).toEqual({
      id: uuid,
      resource: 'event',
      type: 'key',
      action: 'rotated',
      data: expect.objectContaining({
        id: rotated.key.id,
        resource: 'key',
        version: 2,
        webhook_config: null,
        primary: expect.objectContaining({ date_retiring_until: expect.any(String) }),
      }),
      date_created: new Date(rotated.at).toISOString(),
    })
    for (const token of tokens) expect(got!.body).not.toContain(token)
    expect(got!.body).not.toContain('"token"')
  })

  it('sends organisation events with the organisation as data', async () => {
    const { organisationCreated } = await realEvents()
    receiver = await startReceiver()
    await webhookDelivery({
      ...LOCAL,
      format: 'ricloud',
      resolve: target(receiver.url, RICLOUD_SECRET),
    })(organisationCreated)
    const body = JSON.parse(receiver.received[0]!.body)
    expect(body).toMatchObject({ type: 'organisation', action: 'created' })
    expect(body.data).toMatchObject({
      id: organisationCreated.organisation.id,
      resource: 'organisation',
    })
  })
})

describe('webhookDelivery, Standard Webhooks format, to a real receiver', () => {
  it('POSTs to the URL with webhook-id, -timestamp and a v1 signature over id.timestamp.body', async () => {
    const { rotated } = await realEvents()
    receiver = await startReceiver()
    await webhookDelivery({
      ...LOCAL,
      format: 'standard',
      resolve: target(`${receiver.url}/hooks?tenant=a`, STANDARD_SECRET),
    })(rotated)
    const [got] = receiver.received
    expect(got!.path).toBe('/hooks?tenant=a')
    expect(got!.headers['webhook-id']).toBe(rotated.id)
    const t = got!.headers['webhook-timestamp'] as string
    const signature = createHmac('sha256', KEY_BYTES)
      .update(`${rotated.id}.${t}.${got!.body}`)
      .digest('base64')
    expect(got!.headers['webhook-signature']).toBe(`v1,${signature}`)
    expect(JSON.parse(got!.body)).toEqual({
      type: 'key.rotated',
      timestamp: new Date(rotated.at).toISOString(),
      data: expect.objectContaining({ id: rotated.key.id, resource: 'key' }),
    })
    const result = await verifyWebhook({
      format: 'standard',
      secret: STANDARD_SECRET,
      headers: new Headers(got!.headers as Record<string, string>),
      body: new TextEncoder().encode(got!.body),
    })
    expect(result).toMatchObject({ ok: true, id: rotated.id, event: { type: 'key.rotated' } })
  })
})

describe('webhookDelivery failures reject, for the outbox to retry', () => {
  it('rejects on a 500 answer', async () => {
    const { rotated } = await realEvents()
    receiver = await startReceiver([500])
    const onEvent = webhookDelivery({
      ...LOCAL,
      format: 'ricloud',
      resolve: target(receiver.url, 's'),
    })
    const error = await onEvent(rotated).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KeycycleError)
    expect(error).toMatchObject({ code: 'unavailable', message: expect.stringContaining('500') })
    expect(receiver.received).toHaveLength(1)
  })

  it('rejects on a redirect, without following it', async () => {
    const { rotated } = await realEvents()
    receiver = await startReceiver([302])
    const onEvent = webhookDelivery({
      ...LOCAL,
      format: 'standard',
      resolve: target(receiver.url, 'whsec_c2VjcmV0'),
    })
    await expect(onEvent(rotated)).rejects.toMatchObject({ code: 'unavailable' })
    expect(receiver.received).toHaveLength(1)
  })

  it('rejects when the receiver does not answer within timeoutMs', async () => {
    const { rotated } = await realEvents()
    receiver = await startReceiver(['hang'])
    const started = Date.now()
    const onEvent = webhookDelivery({
      ...LOCAL,
      format: 'ricloud',
      resolve: target(receiver.url, 's'),
      timeoutMs: 200,
    })
    await expect(onEvent(rotated)).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringContaining('200 ms'),
    })
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(receiver.received).toHaveLength(1)
  })

  it('rejects when nothing listens', async () => {
    const { rotated } = await realEvents()
    receiver = await startReceiver()
    const { url } = receiver
    await receiver.close()
    receiver = undefined
    const onEvent = webhookDelivery({ ...LOCAL, format: 'ricloud', resolve: target(url, 's') })
    await expect(onEvent(rotated)).rejects.toMatchObject({ code: 'unavailable' })
  })
})

describe('where deliveries may go', () => {
  it('refuses the receiver on 127.0.0.1 unless allowPrivateDestinations, and never connects', async () => {
    const { rotated } = await realEvents()
    receiver = await startReceiver()
    const onEvent = webhookDelivery({ format: 'ricloud', resolve: target(receiver.url, 's') })
    const error = await onEvent(rotated).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(WebhookDestinationError)
    expect(error).toBeInstanceOf(KeycycleError)
    expect(error).toMatchObject({
      code: 'forbidden',
      address: '127.0.0.1',
      addressClass: 'loopback',
      message: 'webhook destination refused: 127.0.0.1 is a loopback address',
    })
    expect(receiver.received).toHaveLength(0)
    await webhookDelivery({ ...LOCAL, format: 'ricloud', resolve: target(receiver.url, 's') })(
      rotated,
    )
    expect(receiver.received).toHaveLength(1)
  })
})

describe('nothing to deliver', () => {
  it('sends nothing for an event without webhook config, or a config resolved to null', async () => {
    const { rotated } = await realEvents()
    receiver = await startReceiver()
    let asked = 0
    const resolve = (): WebhookTarget | null => {
      asked++
      return null
    }
    const onEvent = webhookDelivery({ format: 'ricloud', resolve })
    const unconfigured: KeycycleEvent = { ...rotated, webhookConfig: null }
    await onEvent(unconfigured)
    expect(asked).toBe(0)
    await onEvent(rotated)
    expect(asked).toBe(1)
    expect(receiver.received).toHaveLength(0)
  })

  it('refuses misuse when built: an unknown format, a resolve that is not a function', () => {
    const resolve = () => null
    expect(() => webhookDelivery({ format: 'svix' as 'standard', resolve })).toThrow(/format/)
    expect(() =>
      webhookDelivery({ format: 'ricloud', resolve: undefined as unknown as typeof resolve }),
    ).toThrow(/resolve/)
  })
})
