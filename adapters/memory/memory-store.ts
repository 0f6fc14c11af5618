import { type CounterState, NO_COUNTERS, spendCounters } from '../../src/core/counters'
import { KeycycleError } from '../../src/core/errors'
import { matchesClause, matchesFilter } from '../../src/core/filters'
import { deepFreeze } from '../../src/core/freeze'
import { importedHexOfRecord } from '../../src/core/imported'
import type { UsageCount } from '../../src/core/key-usage'
import type { KeyRecord, Organisation } from '../../src/core/types'
import type {
  ChangeFeed,
  DueKeysQuery,
  KeyListQuery,
  KeyStore,
  KeyWithOrganisation,
  StoreChange,
  Subscription,
  WatchOptions,
} from '../../src/store'
import { memoryOutbox, type OutboxEntry } from './memory-outbox'

/** A {@link KeyStore} kept in process memory, plus a read-only view for tests and debugging. */
export interface MemoryStore extends KeyStore {
  /** As {@link KeyStore.getKeyWithOrganisation}, always answered at once. */
  getKeyWithOrganisationSync(id: string): KeyWithOrganisation | null
  /** Deep copies of everything stored, for inspection. Holds digests and hints, never tokens. */
  snapshot(): { organisations: Organisation[]; keys: KeyRecord[]; events: OutboxEntry[] }
}

// Stored records are deep-frozen copies, made once per write; reads hand out the frozen record
// itself. Nobody can change stored state through a read, and the hot path copies nothing.
const store = <T>(value: T): T => deepFreeze(structuredClone(value))

// Sorted key IDs of one organisation: pages cost a binary search plus the page, whatever the
// organisation's size. IDs are ULIDs, so new keys almost always append.
function insertSorted(ids: string[], id: string): void {
  let lo = 0
  let hi = ids.length
  if (hi > 0 && ids[hi - 1]! < id) lo = hi
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (ids[mid]! < id) lo = mid + 1
    else hi = mid
  }
  if (ids[lo] !== id) ids.splice(lo, 0, id)
}

// The first index whose ID is greater than `id` (upper bound).
function after(ids: readonly string[], id: string): number {
  let lo = 0
  let hi = ids.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (ids[mid]! <= id) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * The embedded store and the reference every other adapter is compared with. Data lives as
 * long as the returned object. Records are frozen copies: written once, never mutable by a
 * caller. Each call completes in one synchronous step behind a resolved promise, which is what
 * makes its compare-and-set atomic. Its change channel (`watch`) reaches every service sharing
 * this object, synchronously with each write.
 */
export function memoryStore(): MemoryStore {
  const keys = new Map<string, KeyRecord>()
  const organisations = new Map<string, Organisation>()
  const keysByOrganisation = new Map<string, string[]>()
  // Usage counters by key ID and by organisation ID, beside the records (never versioned).
  const keyCounters = new Map<string, CounterState>()
  const organisationCounters = new Map<string, CounterState>()
  // Usage analytics by key ID, then `<hour>:<outcome>`; kept after a key is deleted, until pruned.
  const usage = new Map<string, Map<string, UsageCount>>()
  // Imported digests (hex) to the key holding one, following every key write.
  const imported = new Map<string, string>()
  const feeds = new Set<ChangeFeed>()
  const outbox = memoryOutbox()
  const recordEvents = outbox.record

  function announce(change: StoreChange): void {
    for (const feed of feeds) feed.changed(change)
  }

  function unindex(record: KeyRecord | undefined): void {
    const hex = record && importedHexOfRecord(record)
    if (hex && imported.get(hex) === record.id) imported.delete(hex)
  }

  function put(record: KeyRecord): void {
    unindex(keys.get(record.id))
    const hex = importedHexOfRecord(record)
    if (hex !== null) imported.set(hex, record.id)
    keys.set(record.id, store(record))
    let ids = keysByOrganisation.get(record.organisation)
    if (ids === undefined) {
      ids = []
      keysByOrganisation.set(record.organisation, ids)
    }
    insertSorted(ids, record.id)
    announce({ kind: 'key', id: record.id })
  }

  function keyWithOrganisation(id: string): KeyWithOrganisation | null {
    const key = keys.get(id)
    const organisation = key && organisations.get(key.organisation)
    return key && organisation ? { key, organisation } : null
  }

  return {
    kind: 'memory',
    // Always at once: a verification against this store takes no promise round trip.
    getKeyWithOrganisationSync: keyWithOrganisation,
    getKeyWithOrganisation: async (id) => keyWithOrganisation(id),

    async findKeyByImportedDigest(hex) {
      const id = imported.get(hex)
      return id === undefined ? null : keyWithOrganisation(id)
    },

    async insertKey(record, options) {
      if (keys.has(record.id)) return false
      const held = keysByOrganisation.get(record.organisation)?.length ?? 0
      if (options?.maxKeys !== undefined && held >= options.maxKeys) {
        throw new KeycycleError('limit', `the organisation holds ${held} keys, the most allowed`)
      }
      put(record)
      recordEvents(options?.events)
      return true
    },

    async deleteKey(id, expectedVersion, options) {
      const record = keys.get(id)
      if (record?.version !== expectedVersion) return false
      unindex(record)
      keys.delete(id)
      keyCounters.delete(id)
      const ids = keysByOrganisation.get(record.organisation)!
      ids.splice(after(ids, id) - 1, 1)
      recordEvents(options?.events)
      announce({ kind: 'key', id })
      return true
    },

    async countDigests(now) {
      const counts: Record<string, number> = {}
      const count = (digest: string) => {
        const cut = digest.indexOf('$')
        const pepper = cut === -1 ? '' : digest.slice(0, cut)
        counts[pepper] = (counts[pepper] ?? 0) + 1
      }
      for (const record of keys.values()) {
        for (const slot of [record.primary, record.secondary]) {
          if (slot === null) continue
          count(slot.digest)
          if (slot.retiring !== null && slot.retiring.until > now) count(slot.retiring.digest)
        }
      }
      return counts
    },

    async updateKey(next, expectedVersion, options) {
      if (keys.get(next.id)?.version !== expectedVersion) return false
      put(next)
      recordEvents(options?.events)
      return true
    },

    async listKeys(query: KeyListQuery) {
      const ids = keysByOrganisation.get(query.organisation) ?? []
      // Walk from the bound inwards, in the requested order, until the page is full.
      const low = query.idAbove === undefined ? 0 : after(ids, query.idAbove)
      let high = query.idBelow === undefined ? ids.length : after(ids, query.idBelow)
      if (high > 0 && ids[high - 1] === query.idBelow) high--
      const out: KeyRecord[] = []
      const step = query.order === 'desc' ? -1 : 1
      for (let i = step < 0 ? high - 1 : low; i >= low && i < high; i += step) {
        const record = keys.get(ids[i]!)!
        if (query.type !== undefined && record.type !== query.type) continue
        if (!matchesFilter(record, query.states)) continue
        out.push(record)
        if (out.length === query.limit) break
      }
      return out
    },

    async listDueKeys(query: DueKeysQuery) {
      return [...keys.values()]
        .filter((record) => matchesClause(record, query.clause))
        .sort((a, b) => a.expiresAt! - b.expiresAt! || (a.id < b.id ? -1 : 1))
        .slice(0, query.limit)
    },

    async getOrganisation(id) {
      return organisations.get(id) ?? null
    },

    async insertOrganisation(organisation, firstKey, options) {
      if (organisations.has(organisation.id) || keys.has(firstKey.id)) return false
      put(firstKey)
      organisations.set(organisation.id, store(organisation))
      recordEvents(options?.events)
      announce({ kind: 'organisation', id: organisation.id })
      return true
    },

    async updateOrganisation(next, expectedVersion, options) {
      if (organisations.get(next.id)?.version !== expectedVersion) return false
      organisations.set(next.id, store(next))
      recordEvents(options?.events)
      announce({ kind: 'organisation', id: next.id })
      return true
    },

    // One synchronous step, so atomic: the version check, the arithmetic and its write.
    async spend({ keyId, keyVersion, organisationId, organisationVersion, plan, eventsIfEmptied }) {
      const current = keyWithOrganisation(keyId)
      if (
        current?.key.version !== keyVersion ||
        current.organisation.id !== organisationId ||
        current.organisation.version !== organisationVersion
      ) {
        return { stale: true, current }
      }
      const result = spendCounters(
        keyCounters.get(keyId) ?? NO_COUNTERS,
        organisationCounters.get(organisationId) ?? NO_COUNTERS,
        plan,
      )
      if (result.outcome !== 'spent') return { stale: false, ...result }
      const { next, ...outcome } = result
      keyCounters.set(keyId, deepFreeze(next.key))
      organisationCounters.set(organisationId, deepFreeze(next.organisation))
      if (outcome.emptied) recordEvents(eventsIfEmptied?.())
      return { stale: false, ...outcome }
    },

    async readCounters(ids) {
      const out = new Map<string, CounterState>()
      for (const id of ids) {
        const counters = keyCounters.get(id)
        if (counters !== undefined) out.set(id, counters)
      }
      return out
    },

    async addUsage(counts) {
      for (const { keyId, hour, outcome, count } of counts) {
        let cells = usage.get(keyId)
        if (cells === undefined) {
          cells = new Map()
          usage.set(keyId, cells)
        }
        const cell = `${hour}:${outcome}`
        const stored = cells.get(cell)
        if (stored === undefined) cells.set(cell, { keyId, hour, outcome, count })
        else stored.count += count
      }
    },

    async readUsage(keyId, from, to) {
      const out: UsageCount[] = []
      for (const cell of usage.get(keyId)?.values() ?? []) {
        if (cell.hour >= from && cell.hour < to) out.push({ ...cell })
      }
      return out
    },

    async pruneUsage(before, limit) {
      let pruned = 0
      for (const [keyId, cells] of usage) {
        for (const [name, cell] of cells) {
          if (pruned === limit) return pruned
          if (cell.hour < before) {
            cells.delete(name)
            pruned++
          }
        }
        if (cells.size === 0) usage.delete(keyId)
      }
      return pruned
    },

    claimEvents: outbox.claimEvents,
    settleEvent: outbox.settleEvent,
    pruneEvents: outbox.pruneEvents,
    outboxBacklog: outbox.outboxBacklog,

    // In process, the channel cannot drop: it is live from the start and says so on every beat.
    async watch(feed: ChangeFeed, options: WatchOptions): Promise<Subscription> {
      feeds.add(feed)
      feed.live()
      const beat = setInterval(() => feed.live(), options.heartbeatMs)
      ;(beat as { unref?: () => void }).unref?.()
      return {
        async close() {
          clearInterval(beat)
          feeds.delete(feed)
        },
      }
    },

    snapshot() {
      return {
        organisations: [...organisations.values()].map((o) => structuredClone(o)),
        keys: [...keys.values()].map((k) => structuredClone(k)),
        events: outbox.entries(),
      }
    },
  }
}
