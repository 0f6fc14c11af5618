import type { Cluster } from 'ioredis'
import type { KeyRecord } from '../../src/core/types'
import type { RedisClient } from './client'

// The parts of an ioredis connection a scan needs, typed structurally.
interface Scanner {
  scan(
    cursor: string,
    match: 'MATCH',
    pattern: string,
    count: 'COUNT',
    n: number,
  ): Promise<[string, string[]]>
  hget(key: string, field: string): Promise<string | null>
}

function pepperOf(digest: string): string {
  const cut = digest.indexOf('$')
  return cut === -1 ? '' : digest.slice(0, cut)
}

/**
 * Counts stored digests by pepper over every key hash under `prefix`: current tokens, and
 * retiring ones whose grace window is still open at `now`. Scans each master of a Cluster. A
 * report, not a hot path: it reads every key once.
 */
export async function countDigests(
  client: RedisClient,
  prefix: string,
  now: number,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  const count = (digest: string) => {
    const pepper = pepperOf(digest)
    counts[pepper] = (counts[pepper] ?? 0) + 1
  }
  // ioredis's keyPrefix applies to commands' keys, not to SCAN patterns or the names it returns.
  const keyPrefix = client.isCluster ? '' : (client.options?.keyPrefix ?? '')
  const nodes = (client.isCluster
    ? (client as Cluster).nodes('master')
    : [client]) as unknown as Scanner[]
  const glob = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&')
  const pattern = `${glob(keyPrefix + prefix)}{key_*}:key`
  for (const node of nodes) {
    let cursor = '0'
    do {
      const [next, names] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500)
      cursor = next
      const records = await Promise.all(
        names.map((name) => node.hget(name.slice(keyPrefix.length), 'record')),
      )
      for (const json of records) {
        if (json === null) continue
        const record = JSON.parse(json) as KeyRecord
        for (const slot of [record.primary, record.secondary]) {
          if (slot === null) continue
          count(slot.digest)
          if (slot.retiring !== null && slot.retiring.until > now) count(slot.retiring.digest)
        }
      }
    } while (cursor !== '0')
  }
  return counts
}
