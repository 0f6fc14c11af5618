import { newId } from '../core/ids'
import { newOrganisation } from '../core/organisations'
import type { ChangeFeed, StoreChange } from '../store'
import { ADMIN, keyRecord, randomBytes, T0 } from './fixtures'
import type { StoreSuiteContext } from './suite-context'

/** Waits until `done()` holds, polling every 5 ms, for at most `ms`. */
async function until(done: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (!done() && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 5))
  return done()
}

function recordingFeed() {
  const changes: StoreChange[] = []
  let lives = 0
  const feed: ChangeFeed = {
    changed: (change) => changes.push(change),
    gap: () => {},
    live: () => {
      lives++
    },
  }
  return { feed, changes, lives: () => lives }
}

/**
 * The optional change channel (`KeyStore.watch`), run only for stores that have one: every
 * write by any client reaches every other client's feed, in milliseconds, and the feed proves
 * itself live with heartbeats.
 */
export function watchSuite({ test, runner: { expect } }: StoreSuiteContext): void {
  test('announces every committed key and organisation write to every client, within 1 s', async ({
    store,
    clients,
  }) => {
    const watchers = clients.filter((client) => client.watch)
    if (watchers.length === 0) return
    const feeds = watchers.map(() => recordingFeed())
    const subscriptions = await Promise.all(
      watchers.map((client, i) => client.watch!(feeds[i]!.feed, { heartbeatMs: 50 })),
    )
    try {
      const organisation = newOrganisation({}, newId('org', T0, randomBytes(16)), ADMIN, T0)
      const first = keyRecord({ organisation: organisation.id })
      const second = keyRecord({ organisation: organisation.id })
      expect(await store.insertOrganisation(organisation, first)).toBe(true)
      expect(await store.insertKey(second)).toBe(true)
      expect(await store.updateKey({ ...second, version: 2, name: 'x' }, 1)).toBe(true)
      // A lost compare-and-set commits nothing; announcing it too is allowed, not required.
      expect(await store.updateKey({ ...second, version: 2, name: 'y' }, 1)).toBe(false)
      expect(await store.updateOrganisation({ ...organisation, version: 2 }, 1)).toBe(true)
      const expected = [
        { kind: 'key', id: first.id },
        { kind: 'key', id: second.id },
        { kind: 'organisation', id: organisation.id },
      ]
      for (const { changes } of feeds) {
        const seen = () =>
          expected.every((e) => changes.some((c) => c.kind === e.kind && c.id === e.id))
        expect(await until(seen, 1000)).toBe(true)
        const secondWrites = changes.filter((c) => c.id === second.id).length
        expect(secondWrites).toBeGreaterThanOrEqual(1)
      }
      // Heartbeats: live() keeps coming while the channel delivers.
      const before = feeds.map((f) => f.lives())
      expect(await until(() => feeds.every((f, i) => f.lives() > before[i]!), 1000)).toBe(true)
    } finally {
      await Promise.all(subscriptions.map((s) => s.close()))
    }
  })

  test('stops announcing after close, and close is idempotent', async ({ store, clients }) => {
    const client = clients.find((c) => c.watch)
    if (!client) return
    const { feed, changes } = recordingFeed()
    const subscription = await client.watch!(feed, { heartbeatMs: 50 })
    await subscription.close()
    await subscription.close()
    const organisation = newOrganisation({}, newId('org', T0, randomBytes(16)), ADMIN, T0)
    expect(
      await store.insertOrganisation(organisation, keyRecord({ organisation: organisation.id })),
    ).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(changes.filter((c) => c.id === organisation.id)).toEqual([])
  })
}
