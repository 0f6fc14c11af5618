import type { KeycycleEvent } from '../service/events'
import { createKeycycle } from '../service/keycycle'
import { ADMIN, DAY, HOUR, manualClock } from './fixtures'
import type { StoreSuiteContext } from './suite-context'

// The organisation an event belongs to, for keeping only this test's events (the store may
// hold other tests' events too, of any shape).
const organisationOf = (event: KeycycleEvent): string | undefined => {
  const seen = event as { key?: { organisation?: string }; organisation?: { id?: string } }
  return seen.key?.organisation ?? seen.organisation?.id
}

/** Event delivery (`docs/decisions.md#events-and-the-outbox`) by several service instances sharing the store. */
export function deliverySuite({ test, runner: { expect } }: StoreSuiteContext): void {
  test('three instances deliver every lifecycle event, clock events included, each under one ID', async ({
    clients,
  }) => {
    const clock = manualClock()
    const received: KeycycleEvent[] = []
    const instances = [0, 1, 2].map((i) =>
      createKeycycle({
        store: clients[i % clients.length]!,
        clock,
        gracePeriodMs: HOUR,
        expiringLeadMs: DAY,
        storeTimeoutMs: 30_000,
        onEvent: (event) => {
          received.push(event)
        },
      }),
    )
    const [a, b, c] = instances as [
      (typeof instances)[0],
      (typeof instances)[0],
      (typeof instances)[0],
    ]
    const drainAll = () => Promise.all(instances.map((kc) => kc.drainEvents()))
    try {
      const { organisation, key } = await a.createOrganisation()
      const trial = await b.as(ADMIN).createKey({
        organisation: organisation.id,
        type: 'trial',
        expiresAt: clock.now() + 2 * DAY,
      })
      const extra = await c.asOrganisation(organisation.id).createKey()
      await c.asOrganisation(organisation.id).rotateKey(key.id)
      await a.asOrganisation(organisation.id).updateKey(key.id, { name: 'renamed' })
      await b.asOrganisation(organisation.id).deactivateKey(extra.key.id)
      await c.asOrganisation(organisation.id).deleteKey(extra.key.id)
      await a.asOrganisation(organisation.id).updateOrganisation({ webhookConfig: 9 })
      await drainAll()
      clock.advance(HOUR)
      await drainAll()
      clock.advance(DAY)
      await drainAll()

      const ours = received.filter((e) => organisationOf(e) === organisation.id)
      const byId = new Map<string, KeycycleEvent>()
      for (const event of ours) {
        const first = byId.get(event.id)
        // A duplicate is the same event: same ID, same content.
        if (first) expect(JSON.stringify(event)).toBe(JSON.stringify(first))
        byId.set(event.id, event)
      }
      const counts: Record<string, number> = {}
      for (const event of byId.values()) counts[event.type] = (counts[event.type] ?? 0) + 1
      expect(counts).toEqual({
        'organisation.created': 1,
        'key.created': 3,
        'key.rotated': 1,
        'key.updated': 1,
        'key.state_changed': 1,
        'key.deleted': 1,
        'organisation.updated': 1,
        'key.grace_ended': 1,
        'key.expiring': 1,
      })
      expect([...byId.values()].find((e) => e.type === 'key.expiring')).toMatchObject({
        key: { id: trial.key.id },
      })
    } finally {
      await Promise.all(instances.map((kc) => kc.close()))
    }
  })
}
