import { Cluster, Redis } from 'ioredis'
import { redisStore } from '../../adapters/redis'
import type { OpenStore, StoreHarness } from '../../src/conformance'
import type { KeyStore } from '../../src/store'
import { CLUSTER_PORTS } from '../setup/redis-cluster'

export const REDIS_URL = process.env.KEYCYCLE_REDIS_URL ?? 'redis://127.0.0.1:6379'
export const CLUSTER_NODES = CLUSTER_PORTS.map((port) => ({ host: '127.0.0.1', port }))

export type Topology = 'standalone' | 'cluster'
export type Client = Redis | Cluster

/** A fresh key prefix, so runs never see each other's keys. */
export const randomPrefix = () => `kc${Math.random().toString(36).slice(2, 8)}:`

export function connect(topology: Topology): Client {
  return topology === 'standalone'
    ? new Redis(REDIS_URL, { maxRetriesPerRequest: 3 })
    : new Cluster(CLUSTER_NODES, { redisOptions: { maxRetriesPerRequest: 3 } })
}

/** True when a server (or the whole cluster) answers within a second. */
export async function redisReachable(topology: Topology): Promise<boolean> {
  const client =
    topology === 'standalone'
      ? new Redis(REDIS_URL, {
          lazyConnect: true,
          connectTimeout: 1000,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        })
      : new Cluster(CLUSTER_NODES, {
          lazyConnect: true,
          clusterRetryStrategy: () => null,
          redisOptions: { connectTimeout: 1000 },
        })
  try {
    await client.connect()
    if (client instanceof Cluster)
      return (await client.cluster('INFO')).includes('cluster_state:ok')
    return (await client.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}

/** Every Redis key under `prefix` with its value, read with plain commands on each master. */
export async function dumpRedis(client: Client, prefix: string): Promise<string> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client]
  const dump: Record<string, unknown> = {}
  for (const node of nodes) {
    let cursor = '0'
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      cursor = next
      for (const key of keys) {
        const type = await node.type(key)
        if (type === 'hash') dump[key] = await node.hgetall(key)
        else if (type === 'zset') dump[key] = await node.zrange(key, 0, -1, 'WITHSCORES')
        else if (type === 'list') dump[key] = await node.lrange(key, 0, -1)
        else if (type === 'set') dump[key] = await node.smembers(key)
        else if (type === 'stream') dump[key] = await node.xrange(key, '-', '+')
        else if (type === 'string') dump[key] = await node.get(key)
        // Anything else (a key expired between SCAN and TYPE reads as none) holds nothing.
      }
    } while (cursor !== '0')
  }
  return JSON.stringify(dump)
}

/** Deletes every Redis key under `prefix`, on each master. */
export async function removeAll(client: Client, prefix: string): Promise<void> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client]
  for (const node of nodes) {
    let cursor = '0'
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      cursor = next
      for (const key of keys) await node.del(key)
    } while (cursor !== '0')
  }
}

/** An opened Redis namespace: the store's view plus a raw client and the prefix, for extras. */
export interface RedisOpenStore extends OpenStore {
  topology: Topology
  raw: Client
  prefix: string
}

/** The conformance harness: 16 independent clients, a fresh prefix per run, cleaned afterwards. */
export function redisHarness(topology: Topology, rotations: number): StoreHarness<RedisOpenStore> {
  return {
    name: `redis ${topology}`,
    rotations,
    async open() {
      const prefix = randomPrefix()
      const connections = Array.from({ length: 16 }, () => connect(topology))
      const raw = connect(topology)
      // Generous deadlines: 1,000 concurrent scripts on two cores queue up behind each other.
      const clients: KeyStore[] = connections.map((c) =>
        redisStore(c, { prefix, commandTimeoutMs: 30_000 }),
      )
      return {
        topology,
        raw,
        prefix,
        store: clients[0]!,
        clients,
        dump: () => dumpRedis(raw, prefix),
        async close() {
          await removeAll(raw, prefix)
          for (const c of [...connections, raw]) c.disconnect()
        },
      }
    },
  }
}
