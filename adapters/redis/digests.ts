import type { KeyRecord } from '../../src/core/types'
import type { RedisClient } from './client'
import { glob, scanMasters } from './scan'

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
  await scanMasters(client, `${glob(prefix)}{key_*}:key`, async (node, _, names) => {
    const records = await Promise.all(names.map((name) => node.hget(name, 'record')))
    for (const json of records) {
      if (json === null) continue
      const record = JSON.parse(json) as KeyRecord
      for (const slot of [record.primary, record.secondary]) {
        if (slot === null) continue
        count(slot.digest)
        if (slot.retiring !== null && slot.retiring.until > now) count(slot.retiring.digest)
      }
    }
  })
  return counts
}
