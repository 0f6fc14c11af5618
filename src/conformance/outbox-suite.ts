import type { KeyRecord, Organisation } from '../core/types'
import type { ClaimedEvent, KeyStore, OutboxEvent } from '../store'
import { keyRecord, randomBytes, T0 } from './fixtures'
import type { StoreSuiteContext } from './suite-context'

// A store-unique name: suites share one namespace, so every test claims widely and keeps
// only what it wrote.
const unique = (label: string) =>
  `${label}_${Array.from(randomBytes(8), (b) => b.toString(16).padStart(2, '0')).join('')}`

/** An outbox event about `record`, in the record's stream unless `stream` is given. */
function event(
  record: { id: string },
  seq: number,
  overrides: Partial<OutboxEvent> = {},
): OutboxEvent {
  const id = unique('evt')
  return {
    id,
    subject: { kind: 'key', id: record.id },
    stream: record.id,
    seq,
    availableAt: T0,
    body: JSON.stringify({ id, type: 'test.event', seq, text: 'ü 鍵 🔑 "quoted" \\ back' }),
    ...overrides,
  }
}

const WIDE = 1000

/**
 * Claims at `now` as `owner`, keeping only the events whose ID is in `ids`. Like a dispatcher,
 * it claims every due event it is offered, including ones it then ignores.
 */
async function claim(
  store: KeyStore,
  ids: readonly string[],
  { owner = 'a', now = T0, lease = 60_000 } = {},
): Promise<ClaimedEvent[]> {
  const claimed = await store.claimEvents({ owner, now, leaseUntil: now + lease, limit: WIDE })
  return claimed.filter((e) => ids.includes(e.id)).sort((x, y) => (x.id < y.id ? -1 : 1))
}

/** Marks the given events delivered, whoever holds them, so later tests never see them. */
async function finish(store: KeyStore, ids: readonly string[]): Promise<void> {
  const now = T0 + 10 * 86_400_000
  for (const e of await claim(store, ids, { owner: 'sweeper', now })) {
    await store.settleEvent(e, { owner: 'sweeper', deliveredAt: now })
  }
}

const bump = (record: KeyRecord): KeyRecord => ({ ...record, version: record.version + 1 })

// An organisation (stores may enforce that a key's organisation exists) with a first key.
function organisationOf(first: KeyRecord): Organisation {
  return {
    id: first.organisation,
    storageConfig: null,
    webhookConfig: null,
    config: {},
    rateLimits: null,
    allowedIps: null,
    createdAt: T0,
    modifiedAt: T0,
    modifiedBy: `organisation:${first.organisation}`,
    version: 1,
  }
}

/** A key record, not yet stored, of an organisation that is. */
async function newKey(store: KeyStore): Promise<KeyRecord> {
  const first = keyRecord()
  await store.insertOrganisation(organisationOf(first), first)
  return keyRecord({ organisation: first.organisation })
}

/** The durable outbox of `docs/decisions.md#events-and-the-outbox` on the store: atomic with writes, ordered, claimed once. */
export function outboxSuite({ test, runner: { expect } }: StoreSuiteContext): void {
  test('records events with a write that commits, and none with one that does not', async ({
    store,
  }) => {
    const record = await newKey(store)
    const created = event(record, 1)
    expect(await store.insertKey(record, { events: [created] })).toBe(true)
    const taken = event(record, 1)
    expect(await store.insertKey(record, { events: [taken] })).toBe(false)
    const lost = event(record, 2)
    expect(await store.updateKey(bump(bump(record)), 5, { events: [lost] })).toBe(false)
    const updated = event(record, 2)
    expect(await store.updateKey(bump(record), 1, { events: [updated] })).toBe(true)
    const gone = event(record, 3)
    expect(await store.deleteKey(record.id, 1, { events: [gone] })).toBe(false)
    const deleted = event(record, 3)
    expect(await store.deleteKey(record.id, 2, { events: [deleted] })).toBe(true)
    const ids = [created, taken, lost, updated, gone, deleted].map((e) => e.id)
    const first = await claim(store, ids)
    expect(first.map((e) => e.id)).toEqual([created.id])
    expect(first[0]).toEqual({ ...created, attempts: 0 })
    await finish(store, ids)
  })

  test('records organisation events with its writes', async ({ store }) => {
    const first = keyRecord()
    const organisation = organisationOf(first)
    const org = { id: organisation.id }
    const orgCreated = event(org, 1, { subject: { kind: 'organisation', id: org.id } })
    const keyCreated = event(first, 1)
    const ok = await store.insertOrganisation(organisation, first, {
      events: [orgCreated, keyCreated],
    })
    expect(ok).toBe(true)
    const updated = event(org, 2, { subject: { kind: 'organisation', id: org.id } })
    const next = { ...organisation, webhookConfig: 3, version: 2 }
    expect(await store.updateOrganisation(next, 1, { events: [updated] })).toBe(true)
    const stale = event(org, 3, { subject: { kind: 'organisation', id: org.id } })
    expect(await store.updateOrganisation({ ...next, version: 3 }, 1, { events: [stale] })).toBe(
      false,
    )
    const ids = [orgCreated.id, keyCreated.id, updated.id, stale.id]
    const claimed = await claim(store, ids)
    expect(claimed.map((e) => e.id).sort()).toEqual([orgCreated.id, keyCreated.id].sort())
    expect(claimed.find((e) => e.id === orgCreated.id)?.subject).toEqual({
      kind: 'organisation',
      id: org.id,
    })
    await finish(store, ids)
  })

  test('hands out a stream one event at a time, in seq order, and waits for availableAt', async ({
    store,
  }) => {
    const record = await newKey(store)
    const [one, two] = [event(record, 1), event(record, 2)]
    const later = event(record, 1, { stream: unique('evt'), availableAt: T0 + 5000 })
    await store.insertKey(record, { events: [one, later] })
    await store.updateKey(bump(record), 1, { events: [two] })
    const ids = [one.id, two.id, later.id]
    const first = await claim(store, ids)
    expect(first.map((e) => e.id)).toEqual([one.id])
    // Claimed and unsettled: nothing more of the stream, for anyone.
    expect(await claim(store, ids, { owner: 'b' })).toEqual([])
    expect(await store.settleEvent(first[0]!, { owner: 'a', deliveredAt: T0 })).toBe(true)
    expect((await claim(store, ids)).map((e) => e.id)).toEqual([two.id])
    const atFive = await claim(store, ids, { now: T0 + 5000 })
    expect(atFive.map((e) => e.id)).toEqual([later.id])
    await finish(store, ids)
  })

  test('puts a failed delivery back for later, still holding its stream', async ({ store }) => {
    const record = await newKey(store)
    const [one, two] = [event(record, 1), event(record, 2)]
    await store.insertKey(record, { events: [one] })
    await store.updateKey(bump(record), 1, { events: [two] })
    const ids = [one.id, two.id]
    const [claimed] = await claim(store, ids)
    expect(await store.settleEvent(claimed!, { owner: 'a', retryAt: T0 + 1000 })).toBe(true)
    expect(await claim(store, ids, { now: T0 + 999 })).toEqual([])
    const again = await claim(store, ids, { now: T0 + 1000 })
    expect(again).toEqual([{ ...one, availableAt: T0 + 1000, attempts: 1 }])
    await finish(store, ids)
  })

  test('lets a lapsed claim be taken over, and refuses the old owner’s settlement', async ({
    store,
  }) => {
    const record = await newKey(store)
    const one = event(record, 1)
    await store.insertKey(record, { events: [one] })
    const [mine] = await claim(store, [one.id], { owner: 'a', lease: 1000 })
    expect(await claim(store, [one.id], { owner: 'b', now: T0 + 999 })).toEqual([])
    const [theirs] = await claim(store, [one.id], { owner: 'b', now: T0 + 1000 })
    expect(theirs?.id).toBe(one.id)
    expect(await store.settleEvent(mine!, { owner: 'a', deliveredAt: T0 + 1001 })).toBe(false)
    expect(await store.settleEvent(theirs!, { owner: 'b', deliveredAt: T0 + 1001 })).toBe(true)
    expect(await claim(store, [one.id], { owner: 'c', now: T0 + 100_000 })).toEqual([])
    await finish(store, [one.id])
  })

  test('gives each event to exactly one of many concurrent claimers', async ({
    store,
    clients,
  }) => {
    const records: KeyRecord[] = []
    for (let i = 0; i < 12; i++) records.push(await newKey(store))
    const events = records.map((r) => event(r, 1))
    for (const [i, r] of records.entries()) await store.insertKey(r, { events: [events[i]!] })
    const ids = events.map((e) => e.id)
    const claimers = Array.from({ length: 6 }, (_, i) => clients[i % clients.length]!)
    const rounds = await Promise.all(
      claimers.map((client, i) => claim(client, ids, { owner: `owner-${i}` })),
    )
    const got = rounds.flat().map((e) => e.id)
    expect(got.sort()).toEqual([...ids].sort())
    await finish(store, ids)
  })

  test('prunes delivered events older than the cutoff, and nothing undelivered', async ({
    store,
  }) => {
    const record = await newKey(store)
    const old = event(record, 1)
    const recent = event(record, 2, { stream: unique('evt') })
    const pending = event(record, 3, { stream: unique('evt') })
    await store.insertKey(record, { events: [old, recent, pending] })
    const ids = [old.id, recent.id, pending.id]
    for (const e of await claim(store, [old.id, recent.id])) {
      const deliveredAt = e.id === old.id ? T0 + 10 : T0 + 1000
      await store.settleEvent(e, { owner: 'a', deliveredAt })
    }
    let pruned = 0
    for (
      let n = await store.pruneEvents(T0 + 10, 100);
      n > 0;
      n = await store.pruneEvents(T0 + 10, 100)
    ) {
      pruned += n
    }
    expect(pruned).toBeGreaterThanOrEqual(1)
    // The pending event is still there (once the claim the first round took on it lapsed);
    // the recent delivered one is not handed out again.
    const later = await claim(store, ids, { now: T0 + 100_000 })
    expect(later.map((e) => e.id)).toEqual([pending.id])
    await finish(store, ids)
  })
}
