import { inspect } from 'node:util'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { memoryStore } from '../../adapters/memory'
import { createKeycycle, KeycycleError, type Logger } from '../../src'
import { webhookDelivery } from '../../src/webhooks'
import { manualClock } from '../helpers/clock'
import { ADMIN } from '../helpers/setup'
import { type Receiver, startReceiver } from '../webhooks/receiver'

type LogFields = Record<string, unknown>
type Line = { level: keyof Logger; message: string; fields?: LogFields }

function capture() {
  const lines: Line[] = []
  const at =
    (level: keyof Logger) =>
    (message: string, fields?: LogFields): void => {
      lines.push({ level, message, ...(fields === undefined ? {} : { fields }) })
    }
  const logger: Logger = {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
  }
  return { logger, lines, levels: () => lines.map((l) => `${l.level}: ${l.message}`) }
}

// Every line as text, fields and errors (their messages, causes and stacks) included.
const written = (lines: Line[]) =>
  lines.map((l) => `${l.message} ${inspect(l.fields, { depth: 8, showHidden: true })}`).join('\n')

let receiver: Receiver | undefined
afterEach(async () => {
  await receiver?.close()
  receiver = undefined
})

describe('the logger option', () => {
  it('takes failed attempts at warn, the given-up event at error, deliveries at debug', async () => {
    const { logger, lines, levels } = capture()
    const clock = manualClock()
    let failing = true
    const kc = createKeycycle({
      store: memoryStore(),
      clock,
      logger,
      onEvent: (event) => {
        if (failing && event.type === 'key.created') throw new Error('receiver down')
      },
      dispatch: { retryBaseMs: 1000, maxAttempts: 2 },
    })
    await kc.createOrganisation()
    await kc.drainEvents()
    clock.advance(2000)
    await kc.drainEvents()
    failing = false
    // The two keys' deliveries run side by side: their order is not fixed.
    expect(levels().sort()).toEqual([
      expect.stringMatching(/^debug: keycycle: delivered organisation\.created evt_/),
      expect.stringMatching(/^error: keycycle: gave up delivering key\.created evt_/),
      expect.stringMatching(/^warn: keycycle: delivering key\.created evt_\w+ failed; will retry$/),
    ])
    const warned = lines.find((l) => l.level === 'warn')
    const gaveUp = lines.find((l) => l.level === 'error')
    expect(warned!.fields).toMatchObject({
      eventType: 'key.created',
      attempt: 1,
      retryAt: expect.any(Number),
      error: { message: 'receiver down' },
    })
    expect(gaveUp!.fields).toMatchObject({
      eventType: 'key.created',
      error: { message: 'receiver down' },
    })
    await kc.close()
  })

  it('says once that the outbox cannot be read, at error, and at info when it can again', async () => {
    const { logger, levels } = capture()
    const store = memoryStore()
    let down = false
    const claimEvents: typeof store.claimEvents = (query, options) =>
      down ? Promise.reject(new Error('connection refused')) : store.claimEvents(query, options)
    const kc = createKeycycle({ store: { ...store, claimEvents }, logger, onEvent: () => {} })
    await kc.drainEvents()
    down = true
    await kc.drainEvents()
    await kc.drainEvents()
    down = false
    await kc.drainEvents()
    expect(levels()).toEqual([
      'error: keycycle: the event outbox could not be read',
      'info: keycycle: the event outbox can be read again',
    ])
    await kc.close()
  })

  it('takes a failed last-used flush at warn', async () => {
    const { logger, lines } = capture()
    const store = memoryStore()
    const kc = createKeycycle({ store, logger, lastUsedFlushMs: 1 })
    const { token } = await kc.createOrganisation()
    const updateKey: typeof store.updateKey = () => Promise.reject(new Error('disk full'))
    const broken = createKeycycle({ store: { ...store, updateKey }, logger, lastUsedFlushMs: 1 })
    expect(await broken.verify(token)).toMatchObject({ ok: true })
    await vi.waitFor(() => expect(lines.length).toBeGreaterThan(0))
    expect(lines[0]).toMatchObject({
      level: 'warn',
      message: expect.stringContaining('writing last-used times failed'),
      fields: { error: expect.any(KeycycleError) },
    })
    await broken.close().catch(() => {})
    await kc.close()
  })

  it('accepts console, refuses a logger without all four levels, and survives one that throws', async () => {
    expect(() => createKeycycle({ store: memoryStore(), logger: console })).not.toThrow()
    const partial = { error() {}, warn() {}, info() {} } as unknown as Logger
    expect(() => createKeycycle({ store: memoryStore(), logger: partial })).toThrow(
      expect.objectContaining({ code: 'validation', details: { field: 'logger.debug' } }),
    )
    const throwing: Logger = {
      error: () => {
        throw new Error('logger down')
      },
      warn: () => {
        throw new Error('logger down')
      },
      info: () => {},
      debug: () => {},
    }
    const delivered: string[] = []
    let fail = true
    const kc = createKeycycle({
      store: memoryStore(),
      logger: throwing,
      onEvent: (event) => {
        if (fail) {
          fail = false
          throw new Error('once')
        }
        delivered.push(event.type)
      },
      dispatch: { retryBaseMs: 1, maxAttempts: 3 },
    })
    await kc.createOrganisation()
    await vi.waitFor(async () => {
      await kc.drainEvents()
      expect(delivered.sort()).toEqual(['key.created', 'organisation.created'])
    })
    await kc.close()
  })

  it('writes error and warn to the console by default, info and debug nowhere', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const info = vi.spyOn(console, 'info').mockImplementation(() => {})
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => {})
    try {
      const clock = manualClock()
      const kc = createKeycycle({
        store: memoryStore(),
        clock,
        onEvent: () => {
          throw new Error('receiver down')
        },
        dispatch: { retryBaseMs: 1000, maxAttempts: 2 },
      })
      await kc.createOrganisation()
      await kc.drainEvents()
      clock.advance(2000)
      await kc.drainEvents()
      expect(warn).toHaveBeenCalledWith(
        expect.stringContaining('failed; will retry'),
        expect.objectContaining({ attempt: 1 }),
      )
      expect(error).toHaveBeenCalledWith(
        expect.stringContaining('gave up delivering'),
        expect.objectContaining({ error: expect.any(Error) }),
      )
      expect(info).not.toHaveBeenCalled()
      expect(debug).not.toHaveBeenCalled()
      await kc.close()
    } finally {
      for (const spy of [error, warn, info, debug]) spy.mockRestore()
    }
  })

  it('never writes a token or a webhook secret, through refused and failed deliveries', async () => {
    const { logger, lines } = capture()
    const clock = manualClock()
    const secret = 'whsec-never-in-a-log-0123456789abcdef'
    receiver = await startReceiver([500])
    let url = 'http://127.0.0.1:1/refused'
    const kc = createKeycycle({
      store: memoryStore(),
      clock,
      logger,
      onEvent: webhookDelivery({ format: 'ricloud', resolve: () => ({ url, secret }) }),
      dispatch: { retryBaseMs: 1000, maxAttempts: 2 },
    })
    const created = await kc.createOrganisation({ webhookConfig: 1 })
    const me = kc.as({ kind: 'organisation', id: created.organisation.id })
    const tokens = [created.token, (await me.rotateKey(created.key.id, {})).token]
    tokens.push((await kc.as(ADMIN).regenerateKey(created.key.id, 'secondary')).token)
    await kc.drainEvents()
    url = `${receiver.url}/failing`
    clock.advance(2000)
    await kc.drainEvents()
    for (const token of tokens) await kc.verify(token)
    await kc.close()
    const text = written(lines)
    expect(
      lines.some((l) => l.level === 'warn' && /forbidden|refused/i.test(inspect(l.fields))),
    ).toBe(true)
    expect(lines.some((l) => l.level === 'error')).toBe(true)
    expect(text).not.toContain(secret)
    for (const token of tokens) {
      const piece = token.slice(-49, -6)
      expect(text).not.toContain(token)
      for (let i = 0; i + 12 <= piece.length; i++)
        expect(text).not.toContain(piece.slice(i, i + 12))
    }
  })
})
