import { describe, expect, it, vi } from 'vitest'
import { memoryStore } from '../../adapters/memory'
import { createKeycycle, type DispatchOptions, type KeycycleEvent } from '../../src'
import { manualClock } from '../helpers/clock'
import { ADMIN } from '../helpers/setup'

const HOUR = 3_600_000
const DAY = 24 * HOUR

function recorder(options: Parameters<typeof createKeycycle>[0]) {
  const events: KeycycleEvent[] = []
  const clock = manualClock()
  const kc = createKeycycle({
    clock,
    onEvent: (event) => {
      events.push(event)
    },
    ...options,
  })
  return { kc, clock, events, types: () => events.map((e) => e.type) }
}

describe('events from the durable outbox', () => {
  it('carry the key, the actor, the time, a unique ID and the effective webhook config, never a token', async () => {
    const { kc, clock, events } = recorder({ store: memoryStore() })
    const created = await kc.createOrganisation({ webhookConfig: 7 })
    const actor = { kind: 'organisation' as const, id: created.organisation.id }
    const rotated = await kc.as(actor).rotateKey(created.key.id, {})
    await kc.drainEvents()
    expect(events.map((e) => e.type)).toEqual([
      'organisation.created',
      'key.created',
      'key.rotated',
    ])
    expect(events[2]).toMatchObject({
      type: 'key.rotated',
      at: clock.now(),
      actor,
      webhookConfig: 7,
      key: { id: created.key.id, version: 2 },
    })
    expect(events[0]).toMatchObject({ organisation: { id: created.organisation.id } })
    const text = JSON.stringify(events)
    expect(text).not.toContain(created.token)
    expect(text).not.toContain(rotated.token)
    const ids = events.map((e) => e.id)
    expect(new Set(ids).size).toBe(3)
    for (const id of ids) expect(id).toMatch(/^evt_[0-9A-Z]{26}$/)
  })

  it('never hold up the call: a hanging onEvent leaves rotateKey to return at once', async () => {
    let called = () => {}
    const handed = new Promise<void>((resolve) => {
      called = resolve
    })
    const store = memoryStore()
    const kc = createKeycycle({
      store,
      onEvent: () => {
        called()
        return new Promise<void>(() => {})
      },
      dispatch: { deliveryTimeoutMs: 50_000 },
    })
    const { organisation, key } = await kc.createOrganisation()
    const started = performance.now()
    const rotated = await kc.asOrganisation(organisation.id).rotateKey(key.id)
    expect(performance.now() - started).toBeLessThan(100)
    expect((await kc.verify(rotated.token)).ok).toBe(true)
    // The handler is still called, after the call returned: awaited, not slept for.
    await handed
    // The events are recorded, whatever the handler does.
    expect(store.snapshot().events.map((e) => JSON.parse(e.body).type)).toContain('key.rotated')
    await kc.close()
  })

  it('retry a throwing onEvent with growing pauses, then report it through onEventError', async () => {
    const attempts: number[] = []
    const onEventError = vi.fn()
    const { kc, clock } = recorder({
      store: memoryStore(),
      onEvent: (event) => {
        if (event.type === 'key.created') {
          attempts.push(clock.now())
          throw new Error('receiver down')
        }
      },
      onEventError,
      dispatch: { retryBaseMs: 1000, maxAttempts: 4 },
    })
    const start = clock.now()
    await kc.createOrganisation()
    await kc.drainEvents()
    for (let waited = 0; waited < 20_000; waited += 50) {
      clock.advance(50)
      await kc.drainEvents()
    }
    // Backoff 1 s, 2 s, 4 s, each with up to a quarter taken off at random.
    expect(attempts).toHaveLength(4)
    const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!)
    for (const [i, base] of [1000, 2000, 4000].entries()) {
      expect(gaps[i]).toBeGreaterThanOrEqual(base * 0.75)
      expect(gaps[i]).toBeLessThanOrEqual(base + 50)
    }
    expect(attempts[0]).toBe(start)
    expect(onEventError).toHaveBeenCalledTimes(1)
    expect(onEventError.mock.calls[0]![0]).toMatchObject({ message: 'receiver down' })
    expect(onEventError.mock.calls[0]![1]).toMatchObject({ type: 'key.created' })
    clock.advance(DAY)
    expect(await kc.drainEvents()).toBe(0)
  })

  it('arrive in commit order per key, a failing event holding back the later ones', async () => {
    let fail = true
    const clock = manualClock()
    const events: KeycycleEvent[] = []
    const kcFailing = createKeycycle({
      store: memoryStore(),
      clock,
      onEvent: (event) => {
        if (fail && event.type === 'key.rotated') throw new Error('once')
        events.push(event)
      },
      dispatch: { retryBaseMs: 1000 },
    })
    const { organisation, key } = await kcFailing.createOrganisation()
    const org = kcFailing.asOrganisation(organisation.id)
    await org.rotateKey(key.id)
    await org.updateKey(key.id, { name: 'after' })
    await org.regenerateKey(key.id, 'secondary')
    await kcFailing.drainEvents()
    expect(events.filter((e) => e.type.startsWith('key.')).map((e) => e.type)).toEqual([
      'key.created',
    ])
    fail = false
    clock.advance(1000)
    await kcFailing.drainEvents()
    const ofKey = events.filter((e) => 'key' in e && e.key.id === key.id)
    expect(ofKey.map((e) => e.type)).toEqual([
      'key.created',
      'key.rotated',
      'key.updated',
      'key.regenerated',
    ])
    expect(ofKey.map((e) => ('key' in e ? e.key.version : 0))).toEqual([1, 2, 3, 4])
  })

  it('come from the clock: key.expiring once per expiry time, key.grace_ended when a grace ends', async () => {
    const { kc, clock, events } = recorder({
      store: memoryStore(),
      gracePeriodMs: HOUR,
      expiringLeadMs: DAY,
    })
    const { organisation, key } = await kc.createOrganisation()
    const admin = kc.as(ADMIN)
    const trial = await admin.createKey({
      organisation: organisation.id,
      type: 'trial',
      expiresAt: clock.now() + 3 * DAY,
    })
    // Moved before the first announcement came due: only the new date is announced.
    await admin.extendKey(trial.key.id, clock.now() + 5 * DAY)
    await kc.asOrganisation(organisation.id).rotateKey(key.id)
    await kc.drainEvents()
    const of = (type: string) => events.filter((e) => e.type === type)
    expect(of('key.grace_ended')).toEqual([])
    clock.advance(HOUR)
    await kc.drainEvents()
    expect(of('key.grace_ended')).toMatchObject([
      { key: { id: key.id }, slot: 'primary', endedAt: clock.now() },
    ])
    clock.advance(4 * DAY - HOUR)
    await kc.drainEvents()
    expect(of('key.expiring')).toMatchObject([
      { key: { id: trial.key.id }, expiresAt: clock.now() + DAY, at: clock.now() },
    ])
    clock.advance(10 * DAY)
    await kc.drainEvents()
    expect(of('key.expiring')).toHaveLength(1)
    expect(of('key.grace_ended')).toHaveLength(1)
  })

  it('are recorded by an instance without onEvent when told to, and delivered by another', async () => {
    const store = memoryStore()
    const { events, kc: reader, clock } = recorder({ store })
    const writer = createKeycycle({ store, clock, recordEvents: true })
    const { organisation } = await writer.createOrganisation()
    await writer.asOrganisation(organisation.id).updateOrganisation({ webhookConfig: 'hooks' })
    await reader.drainEvents()
    expect(events.map((e) => e.type)).toEqual([
      'organisation.created',
      'key.created',
      'organisation.updated',
    ])
    expect(events[2]).toMatchObject({ changed: ['webhookConfig'], webhookConfig: 'hooks' })
    // Without onEvent and recordEvents nothing is recorded.
    const quiet = memoryStore()
    await createKeycycle({ store: quiet }).createOrganisation()
    expect(quiet.snapshot().events).toEqual([])
  })

  it('give up an outbox entry that is not an event, and go on delivering the rest', async () => {
    const store = memoryStore()
    const { kc, events } = recorder({ store })
    const { organisation } = await kc.createOrganisation()
    const found = (
      await store.listKeys({ organisation: organisation.id, order: 'asc', limit: 1 })
    )[0]!
    const garbage = {
      id: 'evt_garbage',
      subject: { kind: 'key' as const, id: found.id },
      stream: 'evt_garbage',
      seq: 1,
      availableAt: 0,
      body: 'not json',
    }
    await store.updateKey({ ...found, version: found.version + 1 }, found.version, {
      events: [garbage],
    })
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    await kc.drainEvents()
    expect(logged).toHaveBeenCalledWith(
      expect.stringContaining('evt_garbage is not an event'),
      expect.objectContaining({ eventId: 'evt_garbage', error: expect.any(SyntaxError) }),
    )
    logged.mockRestore()
    expect(events.map((e) => e.type)).toEqual(['organisation.created', 'key.created'])
    expect(store.snapshot().events.find((e) => e.id === 'evt_garbage')?.deliveredAt).not.toBeNull()
  })

  it('refuse bad dispatch options when the instance is made', () => {
    const store = memoryStore()
    const onEvent = () => {}
    for (const dispatch of [
      { pollMs: 0 },
      { leaseMs: 1.5 },
      { retries: 3 },
      { leaseMs: 1000, deliveryTimeoutMs: 1000 },
    ]) {
      expect(() =>
        createKeycycle({ store, onEvent, dispatch: dispatch as DispatchOptions }),
      ).toThrow(expect.objectContaining({ code: 'validation' }))
    }
    expect(() => createKeycycle({ store, recordEvents: 'yes' as unknown as boolean })).toThrow(
      expect.objectContaining({ code: 'validation' }),
    )
  })
})
