import { newId } from '../core/ids'
import { newOrganisation } from '../core/organisations'
import type { ChangeFeed, KeyStore, StoreChange } from '../store'
import { ADMIN, keyRecord, randomBytes, T0 } from './fixtures'
import type { StoreSuiteContext } from './suite-context'

/**
 * A feed that records what it hears. `until(done, ms)` re-checks `done()` at each change and
 * heartbeat the feed receives and resolves true once it holds, or false after `ms`: the
 * announcements travel through a real server (pub/sub, LISTEN/NOTIFY) on connections of their
 * own, so nothing but their arrival can be awaited, and the bound keeps a lost one from
 * hanging the test.
 */
function recordingFeed() {
  const changes: StoreChange[] = []
  let lives = 0
  const waiters = new Set<() => void>()
  const heard = () => {
    for (const check of [...waiters]) check()
  }
  const feed: ChangeFeed = {
    changed: (change) => {
      changes.push(change)
      heard()
    },
    gap: () => {},
    live: () => {
      lives++
      heard()
    },
  }
  const until = (done: () => boolean, ms: number) =>
    new Promise<boolean>((resolve) => {
      const finish = (held: boolean) => {
        clearTimeout(timer)
        waiters.delete(check)
        resolve(held)
      }
      const check = () => {
        if (done()) finish(true)
      }
      const timer = setTimeout(() => finish(false), ms)
      waiters.add(check)
      check()
    })
  return { feed, changes, lives: () => lives, until }
}

const ANNOUNCES = 'announces every committed key and organisation write to every client, within 1 s'
const STOPS = 'stops announcing after close, and close is idempotent'

/**
 * The optional change channel (`KeyStore.watch`): every write by any client reaches every
 * other client's feed, in milliseconds, and the feed proves itself live with heartbeats. For a
 * harness declaring `watch: false`, these tests are reported skipped and the suite checks that
 * no client has `watch`.
 */
export function watchSuite({ harness, test, skip, runner: { expect } }: StoreSuiteContext): void {
  if (harness.watch === false) {
    test('has no watch, as the harness declares', async ({ clients }) => {
      for (const client of clients) expect(client.watch).toBe(undefined)
    })
    for (const name of [ANNOUNCES, STOPS]) skip(name, 'the store has no watch')
    return
  }
  // A harness that does not say `watch: false` promises a channel: its absence is a failure.
  const watching = (clients: KeyStore[]) => {
    const watchers = clients.filter((client) => client.watch)
    if (watchers.length > 0) return watchers
    throw new Error(
      `${harness.name}: no client has watch; declare watch: false in the harness to skip this section`,
    )
  }

  test(ANNOUNCES, async ({ store, clients }) => {
    const watchers = watching(clients)
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
      for (const { changes, until } of feeds) {
        const seen = () =>
          expected.every((e) => changes.some((c) => c.kind === e.kind && c.id === e.id))
        expect(await until(seen, 1000)).toBe(true)
        const secondWrites = changes.filter((c) => c.id === second.id).length
        expect(secondWrites).toBeGreaterThanOrEqual(1)
      }
      // Heartbeats: live() keeps coming while the channel delivers.
      for (const { lives, until } of feeds) {
        const before = lives()
        expect(await until(() => lives() > before, 1000)).toBe(true)
      }
    } finally {
      await Promise.all(subscriptions.map((s) => s.close()))
    }
  })

  test(STOPS, async ({ store, clients }) => {
    const client = watching(clients)[0]!
    const closed = recordingFeed()
    const subscription = await client.watch!(closed.feed, { heartbeatMs: 50 })
    await subscription.close()
    await subscription.close()
    // A witness subscribed on the same client: the write is awaited on it, then one heartbeat
    // more (Redis and PostgreSQL answer a heartbeat on a listening connection after what was
    // sent to it before). Had close left the first feed subscribed, the write would have
    // reached it by then too.
    const witness = recordingFeed()
    const open = await client.watch!(witness.feed, { heartbeatMs: 50 })
    try {
      const organisation = newOrganisation({}, newId('org', T0, randomBytes(16)), ADMIN, T0)
      expect(
        await store.insertOrganisation(organisation, keyRecord({ organisation: organisation.id })),
      ).toBe(true)
      const announced = () => witness.changes.some((c) => c.id === organisation.id)
      expect(await witness.until(announced, 1000)).toBe(true)
      const lives = witness.lives()
      expect(await witness.until(() => witness.lives() > lives, 1000)).toBe(true)
      expect(closed.changes.filter((c) => c.id === organisation.id)).toEqual([])
    } finally {
      await open.close()
    }
  })
}
