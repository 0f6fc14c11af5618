import { memoryStore } from '../../adapters/memory'
import { createKeycycle, type KeycycleEvent } from '../../src'

/**
 * Real events from a keycycle instance: an organisation created with webhook config 7 (so its
 * key's events resolve to 7), and a rotation of its key. Returns them and the tokens minted.
 */
export async function realEvents() {
  const events: KeycycleEvent[] = []
  const kc = createKeycycle({
    store: memoryStore(),
    onEvent: (event) => {
      events.push(event)
    },
  })
  const created = await kc.createOrganisation({ webhookConfig: 7 })
  const owner = { kind: 'organisation' as const, id: created.organisation.id }
  const rotated = await kc.as(owner).rotateKey(created.key.id, {})
  // drainEvents() can return while a claim round begun by a write's wake-up is still claiming
  // (reported to the dispatcher's owner); draining again joins that round.
  for (let round = 0; events.length < 3 && round < 10; round++) await kc.drainEvents()
  await kc.close()
  const byType = <T extends KeycycleEvent['type']>(type: T) =>
    events.find((e): e is Extract<KeycycleEvent, { type: T }> => e.type === type)!
  return {
    rotated: byType('key.rotated'),
    organisationCreated: byType('organisation.created'),
    tokens: [created.token, rotated.token],
  }
}
