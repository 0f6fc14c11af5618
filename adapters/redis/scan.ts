import type { Cluster } from 'ioredis'
import type { RedisClient } from './client'

// The parts of an ioredis connection a scan needs, typed structurally.
export interface Scanner {
  scan(
    cursor: string,
    match: 'MATCH',
    pattern: string,
    count: 'COUNT',
    n: number,
  ): Promise<[string, string[]]>
  hget(key: string, field: string): Promise<string | null>
}

/** The client's own `keyPrefix`, which ioredis adds to declared keys only (not to SCAN). */
export function keyPrefixOf(client: RedisClient): string {
  return (client.options as { keyPrefix?: string } | undefined)?.keyPrefix ?? ''
}

/** Escapes glob characters, so `text` matches itself in a SCAN pattern. */
export const glob = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&')

/**
 * Walks every key whose name matches `pattern` (after the client's `keyPrefix`, which it adds)
 * on each master — a standalone server is its own — a page at a time: `page` gets the node,
 * the full names, and the same names as that node's commands take them (without the node's
 * own `keyPrefix`). Resolves when every master has been walked; a name may come twice (SCAN's
 * guarantee), and none that existed throughout is missed.
 */
export async function scanMasters(
  client: RedisClient,
  pattern: string,
  page: (node: Scanner, names: string[], onNode: string[]) => Promise<void>,
): Promise<void> {
  const nodes = client.isCluster ? (client as Cluster).nodes('master') : [client]
  for (const node of nodes) {
    const own = keyPrefixOf(node)
    let cursor = '0'
    do {
      const [next, names] = await (node as unknown as Scanner).scan(
        cursor,
        'MATCH',
        glob(keyPrefixOf(client)) + pattern,
        'COUNT',
        1000,
      )
      cursor = next
      const onNode = names.map((name) => (name.startsWith(own) ? name.slice(own.length) : name))
      await page(node as unknown as Scanner, names, onNode)
    } while (cursor !== '0')
  }
}
