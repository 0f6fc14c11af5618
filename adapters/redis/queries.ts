import { matchesClause, matchesFilter } from '../../src/core/filters'
import type { KeyRecord } from '../../src/core/types'
import type { DueKeysQuery, KeyListQuery } from '../../src/store'
import type { Commands } from './client'
import type { Layout } from './layout'

type ReadKey = (id: string) => Promise<KeyRecord | null>

/**
 * Walks an organisation's lex-sorted index from the cursor in `query.order`, keeping the records
 * that the records themselves say match: the index only proposes IDs. Each round trip reads a
 * page of IDs, then their records (pipelined). The first page is as large as the request; a
 * further one is read only while filters rejected records, sized by how many the page still
 * needs over the share that matched so far, at most `max(batch, needed)`.
 */
export async function listKeys(
  commands: Commands,
  at: Layout,
  readKey: ReadKey,
  query: KeyListQuery,
  batch: number,
): Promise<KeyRecord[]> {
  const index = at.organisationKeys(query.organisation)
  const out: KeyRecord[] = []
  let above = query.idAbove
  let below = query.idBelow
  let seen = 0
  while (out.length < query.limit) {
    const needed = query.limit - out.length
    const estimate = Math.ceil((needed * Math.max(seen, 1)) / Math.max(out.length, 1))
    const size = Math.min(Math.max(needed, estimate), Math.max(batch, needed))
    const min = above === undefined ? '-' : `(${above}`
    const max = below === undefined ? '+' : `(${below}`
    const ids =
      query.order === 'asc'
        ? await commands.zrangebylex(index, min, max, 'LIMIT', 0, size)
        : await commands.zrevrangebylex(index, max, min, 'LIMIT', 0, size)
    const records = await Promise.all(ids.map(readKey))
    seen += ids.length
    for (const record of records) {
      if (
        record === null ||
        record.organisation !== query.organisation ||
        (query.type !== undefined && record.type !== query.type) ||
        !matchesFilter(record, query.states)
      ) {
        continue
      }
      out.push(record)
      if (out.length === query.limit) break
    }
    if (ids.length < size) break
    if (query.order === 'asc') above = ids.at(-1)
    else below = ids.at(-1)
  }
  return out
}

/**
 * Reads the due index up to the clause's bound and returns the records that match it. Each
 * write adds `<id>:<version>` before it commits, with ZADD LT so a score is never later than
 * the expiry it stands for. Entries superseded by a newer version, or whose key can no longer
 * fall due, are dropped; an entry scored earlier than its key's expiry is moved to it. Entries
 * for versions not yet committed are left alone.
 */
export async function listDueKeys(
  commands: Commands,
  at: Layout,
  readKey: ReadKey,
  query: DueKeysQuery,
  batch: number,
): Promise<KeyRecord[]> {
  const bound = query.clause.expiresAtOrBefore
  const due: KeyRecord[] = []
  let offset = 0
  while (due.length < query.limit) {
    const flat = await commands.zrangebyscore(
      at.due,
      '-inf',
      bound,
      'WITHSCORES',
      'LIMIT',
      offset,
      batch,
    )
    const entries: { member: string; score: number }[] = []
    for (let i = 0; i < flat.length; i += 2)
      entries.push({ member: flat[i]!, score: Number(flat[i + 1]) })
    const records = await Promise.all(
      entries.map((e) => readKey(e.member.slice(0, e.member.lastIndexOf(':')))),
    )
    let kept = 0
    for (const [i, { member, score }] of entries.entries()) {
      const record = records[i]
      const version = Number(member.slice(member.lastIndexOf(':') + 1))
      if (!record || record.version < version) {
        kept++
      } else if (record.version > version) {
        await commands.zrem(at.due, member)
      } else if (matchesClause(record, query.clause)) {
        due.push(record)
        kept++
      } else if (
        record.expiresAt !== null &&
        record.expiresAt > bound &&
        record.expiresAt !== score
      ) {
        await commands.zadd(at.due, 'XX', record.expiresAt, member)
      } else {
        await commands.zrem(at.due, member)
      }
    }
    if (entries.length < batch) break
    offset += kept
  }
  due.sort((a, b) => a.expiresAt! - b.expiresAt! || (a.id < b.id ? -1 : 1))
  return due.slice(0, query.limit)
}
