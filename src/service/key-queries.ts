import { effectiveConfig } from '../core/config'
import { stateFilter } from '../core/filters'
import { type ListKeysQuery, parseListQuery, requireKeyId } from '../core/inputs'
import { type KeyUsage, type KeyUsageQuery, parseUsageQuery, usageSeries } from '../core/key-usage'
import type { Actor, EffectiveConfig, Key, SystemActor } from '../core/types'
import type { KeyListQuery, KeyStore } from '../store'
import type { Now } from './deps'
import { liveKey, liveKeys } from './live-keys'
import { assertReach, loadKey } from './reach'

/** One page of keys; `hasMore` says whether more exist beyond it in the direction of travel. */
export interface KeyPage {
  data: Key[]
  hasMore: boolean
}

/** Reading keys, for an actor (see `ActorHandle`). */
export interface KeyQueries {
  /** One key, as of now (effective state); `not_found` for one the actor cannot reach. */
  getKey(actor: Actor, id: unknown): Promise<Key>
  /**
   * Lists an organisation's keys newest first (by ID), filtered by type and by effective state
   * at now. `startingAfter` pages towards older keys, `endingBefore` towards newer ones; the
   * page is in newest-first order either way.
   */
  listKeys(actor: Actor, query: ListKeysQuery | undefined): Promise<KeyPage>
  /** The effective configuration of a key, each value with its source, as `actor` may see it. */
  resolveConfig(actor: Actor | SystemActor, keyId: unknown): Promise<EffectiveConfig>
  /** A key's usage analytics over a range, as `actor` may see them (see `KeyUsageQuery`). */
  getKeyUsage(actor: Actor, keyId: unknown, query: KeyUsageQuery | undefined): Promise<KeyUsage>
}

/** The key queries over `store`, at `now`. */
export function keyQueries(store: KeyStore, now: Now): KeyQueries {
  return {
    async getKey(actor, id) {
      const { key } = await loadKey(store, requireKeyId(id), actor)
      return liveKey(store, key, now())
    },

    async listKeys(actor, query) {
      const q = parseListQuery(query ?? {}, actor)
      assertReach(actor, q.organisation, `organisation ${q.organisation}`)
      const at = now()
      const storeQuery: KeyListQuery = {
        organisation: q.organisation,
        order: q.endingBefore === undefined ? 'desc' : 'asc',
        limit: q.limit + 1,
      }
      if (q.type !== undefined) storeQuery.type = q.type
      if (q.state !== undefined) storeQuery.states = stateFilter(q.state, at)
      if (q.startingAfter !== undefined) storeQuery.idBelow = q.startingAfter
      if (q.endingBefore !== undefined) storeQuery.idAbove = q.endingBefore
      const rows = await store.listKeys(storeQuery)
      const page = rows.slice(0, q.limit)
      if (storeQuery.order === 'asc') page.reverse()
      return { data: await liveKeys(store, page, at), hasMore: rows.length > q.limit }
    },

    async resolveConfig(actor, keyId) {
      const { key, organisation } = await loadKey(store, requireKeyId(keyId, 'keyId'), actor)
      return effectiveConfig(key, organisation)
    },

    async getKeyUsage(actor, keyId, query) {
      const id = requireKeyId(keyId)
      const range = parseUsageQuery(query, now())
      await loadKey(store, id, actor)
      return usageSeries(id, range, await store.readUsage(id, range.from, range.to))
    },
  }
}
