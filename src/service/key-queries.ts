import { resolveConfig as resolve } from '../core/config'
import { DUMMY_DIGEST } from '../core/digest'
import { stateFilter } from '../core/filters'
import { type ListKeysQuery, parseListQuery, requireKeyId } from '../core/inputs'
import { toKey } from '../core/key-view'
import { parseToken } from '../core/token'
import type { Actor, EffectiveConfig, Key, SystemActor } from '../core/types'
import { decideVerification, type VerifyResult } from '../core/verify'
import type { KeyListQuery, KeyWithOrganisation } from '../store'
import { isPromiseLike } from './deadline'
import { assertReach, loadKey } from './reach'
import type { Runtime } from './runtime'

export async function getKey(rt: Runtime, actor: Actor, id: unknown): Promise<Key> {
  const { key } = await loadKey(rt, requireKeyId(id), actor)
  return toKey(key, rt.now())
}

/** One page of keys; `hasMore` says whether more exist beyond it in the direction of travel. */
export interface KeyPage {
  data: Key[]
  hasMore: boolean
}

/**
 * Lists an organisation's keys newest first (by ID), filtered by type and by effective state at
 * now. `startingAfter` pages towards older keys, `endingBefore` towards newer ones; the page is
 * in newest-first order either way.
 */
export async function listKeys(
  rt: Runtime,
  actor: Actor,
  query: ListKeysQuery | undefined,
): Promise<KeyPage> {
  const q = parseListQuery(query ?? {}, actor)
  assertReach(actor, q.organisation, `organisation ${q.organisation}`)
  const now = rt.now()
  const storeQuery: KeyListQuery = {
    organisation: q.organisation,
    order: q.endingBefore === undefined ? 'desc' : 'asc',
    limit: q.limit + 1,
  }
  if (q.type !== undefined) storeQuery.type = q.type
  if (q.state !== undefined) storeQuery.states = stateFilter(q.state, now)
  if (q.startingAfter !== undefined) storeQuery.idBelow = q.startingAfter
  if (q.endingBefore !== undefined) storeQuery.idAbove = q.endingBefore
  const rows = await rt.store.listKeys(storeQuery)
  const page = rows.slice(0, q.limit)
  if (storeQuery.order === 'asc') page.reverse()
  return { data: page.map((record) => toKey(record, now)), hasMore: rows.length > q.limit }
}

/**
 * Verifies a presented token. Never throws for a bad token: a malformed one (wrong shape,
 * prefix or checksum) is refused without any store call. Throws only `unavailable`.
 */
export async function verify(rt: Runtime, token: unknown): Promise<VerifyResult> {
  const parsed = parseToken(token, rt.prefix)
  if (parsed === null) return { ok: false, code: 'malformed', checkedAt: rt.now() }
  // Both reads may answer synchronously (a cache hit, the memory store): awaited only when not,
  // which spares a promise round trip on the hottest path. The clock is read once, unless the
  // read had to wait: the decision is taken at the time the answer came.
  let found: KeyWithOrganisation | null
  let checkedAt: number | undefined // undefined: read just now, uncached
  let now: number
  if (rt.cache) {
    const asked = rt.now()
    const read = rt.cache.read(parsed.keyId, asked)
    if (isPromiseLike(read)) {
      ;({ found, checkedAt } = await read)
      now = rt.now()
    } else {
      ;({ found, checkedAt } = read)
      now = asked
    }
  } else {
    const read = rt.store.getKeyWithOrganisation(parsed.keyId)
    found = isPromiseLike(read) ? await read : read
    now = rt.now()
  }
  // The secret is digested whatever was found, once per pepper the candidates name (once, when
  // no pepper is being retired): an unknown key costs what a wrong secret does. Two peppers at
  // most are in play during a rotation; the two remembered here cover them without a Map.
  const { digests } = rt
  let firstPepper: string | undefined
  let firstDigest: string | null = null
  let otherPepper: string | undefined
  let otherDigest: string | null = null
  const digestLike = (stored: string) => {
    const pepper = stored === DUMMY_DIGEST ? digests.current : digests.pepperOf(stored)
    if (pepper === firstPepper) return firstDigest
    if (pepper === otherPepper) return otherDigest
    const made = digests.like(stored, parsed.keyId, parsed.secret)
    if (firstPepper === undefined) {
      firstPepper = pepper
      firstDigest = made
    } else {
      otherPepper = pepper
      otherDigest = made
    }
    return made
  }
  const result = decideVerification(found, digestLike, now, checkedAt, rt.views)
  if (result.ok && found !== null) {
    const slot = found.key[result.slot]!
    const stored = result.rotating ? slot.retiring!.digest : slot.digest
    const redigest = digests.isOutdated(stored) ? digests.mint(parsed.keyId, parsed.secret) : null
    rt.usage.record(parsed.keyId, stored, now, redigest)
  }
  return result
}

/** The effective configuration of a key, each value with its source, as `actor` may see it. */
export async function resolveConfig(
  rt: Runtime,
  actor: Actor | SystemActor,
  keyId: unknown,
): Promise<EffectiveConfig> {
  const { key, organisation } = await loadKey(rt, requireKeyId(keyId, 'keyId'), actor)
  return resolve(key, organisation)
}
