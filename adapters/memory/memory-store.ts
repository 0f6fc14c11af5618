import { matchesClause, matchesFilter } from '../../src/core/filters'
import type { KeyRecord, Organisation } from '../../src/core/types'
import type { DueKeysQuery, KeyListQuery, KeyStore } from '../../src/store'

/** A {@link KeyStore} kept in process memory, plus a read-only view for tests and debugging. */
export interface MemoryStore extends KeyStore {
  /** Deep copies of everything stored, for inspection. Holds digests and hints, never tokens. */
  snapshot(): { organisations: Organisation[]; keys: KeyRecord[] }
}

/**
 * The embedded store and the reference every other adapter is compared with. Data lives as
 * long as the returned object; records are copied on the way in and out, so no caller can
 * mutate stored state. Each call completes in one synchronous step behind a resolved promise,
 * which is what makes its compare-and-set atomic.
 */
export function memoryStore(): MemoryStore {
  const keys = new Map<string, KeyRecord>()
  const organisations = new Map<string, Organisation>()
  const keysByOrganisation = new Map<string, Set<string>>()
  const copy = <T>(value: T): T => structuredClone(value)

  function put(record: KeyRecord): void {
    keys.set(record.id, copy(record))
    const ids = keysByOrganisation.get(record.organisation) ?? new Set<string>()
    keysByOrganisation.set(record.organisation, ids.add(record.id))
  }

  return {
    async getKeyWithOrganisation(id) {
      const key = keys.get(id)
      const organisation = key && organisations.get(key.organisation)
      return key && organisation ? { key: copy(key), organisation: copy(organisation) } : null
    },

    async insertKey(record) {
      if (keys.has(record.id)) return false
      put(record)
      return true
    },

    async updateKey(next, expectedVersion) {
      if (keys.get(next.id)?.version !== expectedVersion) return false
      put(next)
      return true
    },

    async listKeys(query: KeyListQuery) {
      const ids = [...(keysByOrganisation.get(query.organisation) ?? [])]
        .filter(
          (id) =>
            (query.idAbove === undefined || id > query.idAbove) &&
            (query.idBelow === undefined || id < query.idBelow),
        )
        .sort()
      if (query.order === 'desc') ids.reverse()
      const out: KeyRecord[] = []
      for (const id of ids) {
        const record = keys.get(id)!
        if (query.type !== undefined && record.type !== query.type) continue
        if (!matchesFilter(record, query.states)) continue
        out.push(copy(record))
        if (out.length === query.limit) break
      }
      return out
    },

    async listDueKeys(query: DueKeysQuery) {
      return [...keys.values()]
        .filter((record) => matchesClause(record, query.clause))
        .sort((a, b) => a.expiresAt! - b.expiresAt! || (a.id < b.id ? -1 : 1))
        .slice(0, query.limit)
        .map(copy)
    },

    async getOrganisation(id) {
      const organisation = organisations.get(id)
      return organisation ? copy(organisation) : null
    },

    async insertOrganisation(organisation, firstKey) {
      if (organisations.has(organisation.id) || keys.has(firstKey.id)) return false
      put(firstKey)
      organisations.set(organisation.id, copy(organisation))
      return true
    },

    async updateOrganisation(next, expectedVersion) {
      if (organisations.get(next.id)?.version !== expectedVersion) return false
      organisations.set(next.id, copy(next))
      return true
    },

    snapshot() {
      return {
        organisations: [...organisations.values()].map(copy),
        keys: [...keys.values()].map(copy),
      }
    },
  }
}
