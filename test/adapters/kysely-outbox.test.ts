// What the SQL outbox adds to the shared suite: a failed event insert undoes its write, bodies
// of the full 64 KiB round-trip, and a write without events or deadline stays one statement.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { kyselyStore } from '../../adapters/kysely'
import { keyRecord, T0 } from '../../src/conformance'
import type { Organisation } from '../../src/core/types'
import type { KeyStore, OutboxEvent } from '../../src/store'
import { shouldRun } from '../helpers/should-run'
import { countingPlugin } from './sql-extras'
import { type Dialect, reachable, type SqlOpenStore, sqlHarness } from './sql-harness'

let serial = 0
const eventAbout = (id: string, seq: number, body = '{}'): OutboxEvent => ({
  id: `evt_${String(++serial).padStart(26, '0')}${Math.random().toString(36).slice(2, 6)}`,
  subject: { kind: 'key', id },
  stream: id,
  seq,
  availableAt: T0,
  body,
})

/** A key in an organisation of its own, stored. */
async function storedKey(store: KeyStore) {
  const key = keyRecord()
  const organisation: Organisation = {
    id: key.organisation,
    storageConfig: null,
    webhookConfig: null,
    config: {},
    rateLimits: null,
    allowedIps: null,
    createdAt: T0,
    modifiedAt: T0,
    modifiedBy: 'admin',
    version: 1,
  }
  expect(await store.insertOrganisation(organisation, key)).toBe(true)
  return key
}

// Without the server the suite is skipped loudly, or fails under CI=true (should-run.ts).
const SERVER = { sqlite: 'SQLite', postgres: 'PostgreSQL', mysql: 'MariaDB/MySQL' } as const

for (const dialect of ['sqlite', 'postgres', 'mysql'] as Dialect[]) {
  const runs = await shouldRun(SERVER[dialect], () => reachable(dialect))
  describe.runIf(runs)(`kysely ${dialect} outbox`, () => {
    let opened: SqlOpenStore
    beforeAll(async () => {
      opened = await sqlHarness(dialect, 1).open()
    })
    afterAll(() => opened.close())
    const claimAll = (store: KeyStore, ids: string[]) =>
      store
        .claimEvents({ owner: 'o', now: T0, leaseUntil: T0 + 1000, limit: 1000 })
        .then((claimed) => claimed.filter((e) => ids.includes(e.id)))

    it('undoes the write when its events cannot be recorded', async () => {
      const { store } = opened
      const key = await storedKey(store)
      const first = eventAbout(key.id, 1)
      expect(await store.updateKey({ ...key, version: 2 }, 1, { events: [first] })).toBe(true)
      // The same event ID again: its insert fails, so the update with it must not stay.
      const again = { ...first, seq: 3 }
      await expect(
        store.updateKey({ ...key, name: 'lost', version: 3 }, 2, { events: [again] }),
      ).rejects.toBeDefined()
      expect((await store.getKeyWithOrganisation(key.id))?.key).toMatchObject({
        version: 2,
        name: key.name,
      })
      const claimed = await claimAll(store, [first.id])
      expect(claimed.map((e) => e.seq)).toEqual([1])
      for (const e of claimed) await store.settleEvent(e, { owner: 'o', deliveredAt: T0 })
    })

    it('keeps a 64 KiB body byte for byte, 4-byte characters included', async () => {
      const { store } = opened
      const key = await storedKey(store)
      const ascii = `"${'x'.repeat(64 * 1024 - 2)}"`
      const emoji = `"${'🔑'.repeat(16 * 1024 - 1)}"` // 65,534 bytes of UTF-8
      const events = [eventAbout(key.id, 2, ascii), eventAbout(`${key.id}_b`, 2, emoji)]
      expect(await store.updateKey({ ...key, version: 2 }, 1, { events })).toBe(true)
      const claimed = await claimAll(
        store,
        events.map((e) => e.id),
      )
      expect(claimed.map((e) => e.body).sort()).toEqual([ascii, emoji].sort())
      for (const e of claimed) await store.settleEvent(e, { owner: 'o', deliveredAt: T0 })
    })

    it('runs a write with neither events nor deadline as one statement, as before', async () => {
      const plugin = countingPlugin()
      const db = opened.backend.dbs[0]!.withPlugin(plugin)
      const store = kyselyStore(db, { tablePrefix: opened.backend.prefix })
      const key = await storedKey(store)
      let before = plugin.count
      expect(await store.updateKey({ ...key, version: 2 }, 1)).toBe(true)
      expect(plugin.count - before).toBe(1)
      // With events: still one statement on PostgreSQL; an INSERT more elsewhere.
      before = plugin.count
      const events = [eventAbout(key.id, 3)]
      expect(await store.updateKey({ ...key, version: 3 }, 2, { events })).toBe(true)
      expect(plugin.count - before).toBe(dialect === 'postgres' ? 1 : 2)
      for (const e of await claimAll(store, [events[0]!.id])) {
        await store.settleEvent(e, { owner: 'o', deliveredAt: T0 })
      }
    })
  })
}
