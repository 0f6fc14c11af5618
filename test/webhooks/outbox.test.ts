import { afterEach, describe, expect, it } from 'vitest'
import { memoryStore } from '../../adapters/memory'
import { createKeycycle, type Keycycle } from '../../src'
import { eventIdFromUuid, verifyWebhook, webhookDelivery } from '../../src/webhooks'
import { manualClock } from '../helpers/clock'
import { type Receiver, startReceiver } from './receiver'

const SECRET = 'outbox test secret'

let receiver: Receiver | undefined
let kc: Keycycle | undefined
afterEach(async () => {
  await kc?.close()
  await receiver?.close()
})

describe('webhookDelivery as the onEvent of the durable outbox', () => {
  it('a receiver returning 500 twice then 200 gets the event three times with the same id', async () => {
    receiver = await startReceiver([500, 500, 200])
    const clock = manualClock()
    const configs = new Map([['hooks', { url: `${receiver.url}/webhooks`, secret: SECRET }]])
    const errors: unknown[] = []
    kc = createKeycycle({
      store: memoryStore(),
      clock,
      onEvent: webhookDelivery({
        allowPrivateDestinations: true, // the receiver is on 127.0.0.1
        format: 'ricloud',
        resolve: (id) => configs.get(String(id)) ?? null,
      }),
      onEventError: (error) => errors.push(error),
      dispatch: { retryBaseMs: 10, pollMs: 10 },
    })
    // The organisation has no webhook config, so only the key's own event is delivered.
    const created = await kc.createOrganisation()
    const owner = { kind: 'organisation' as const, id: created.organisation.id }
    const key = await kc.as(owner).createKey({ webhookConfig: 'hooks', name: 'ci' })

    // Each failed delivery is due again after its backoff; moving the clock makes it due now.
    for (let round = 0; round < 20 && receiver.received.length < 3; round++) {
      await kc.drainEvents()
      clock.advance(1_000)
    }
    for (let round = 0; round < 3; round++) {
      clock.advance(60_000)
      await kc.drainEvents()
    }

    expect(receiver.received).toHaveLength(3)
    const paths = new Set(receiver.received.map((r) => r.path))
    expect(paths.size).toBe(1)
    const [path] = paths
    const uuid = path!.replace('/webhooks/', '')
    expect(eventIdFromUuid(uuid)).toMatch(/^evt_/)
    for (const got of receiver.received) {
      const result = await verifyWebhook({
        format: 'ricloud',
        secret: SECRET,
        headers: got.headers,
        body: got.body,
      })
      expect(result).toMatchObject({
        ok: true,
        id: uuid,
        event: { type: 'key', action: 'created', data: { id: key.key.id, name: 'ci' } },
      })
      expect(got.body).not.toContain(key.token)
    }
    expect(errors).toEqual([])
  })
})
