import type { Cluster, Redis } from 'ioredis'
import { KeycycleError } from '../../src/core/errors'
import {
  type ChangeFeed,
  type ChannelBackend,
  type Subscription,
  type WatchOptions,
  watchChangeChannel,
} from '../../src/store'
import type { RedisClient } from './client'

// The subscriber connection never reconnects or resubscribes on its own: the change-channel loop
// does, so that every drop is seen and reported as a gap.
const SUBSCRIBER = {
  lazyConnect: true,
  autoResubscribe: false,
  retryStrategy: () => null,
  reconnectOnError: null,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
} as const

/**
 * A fresh, unconnected subscriber connection: a duplicate of the standalone client, or on a
 * Cluster of one master's connection, picked at random. Classic PUBLISH reaches every node of a
 * Cluster, so one node hears every change; ioredis's own Cluster subscriber is not used because
 * it reconnects and resubscribes silently, which would hide a gap.
 */
export function subscriberOf(client: RedisClient): () => Promise<Redis> {
  if (!client.isCluster) return async () => (client as Redis).duplicate(SUBSCRIBER)
  const cluster = client as Cluster
  return async () => {
    // Before the Cluster's first answer its nodes are unknown; any command waits for them.
    if (cluster.nodes('master').length === 0) await cluster.ping()
    const masters = cluster.nodes('master')
    const node = masters[Math.floor(Math.random() * masters.length)]
    if (!node) throw new KeycycleError('unavailable', 'redis: watch: no Cluster master known')
    return node.duplicate(SUBSCRIBER)
  }
}

/**
 * The Redis change channel: SUBSCRIBE to `channel` on a connection of its own (from `open`),
 * held for the subscription's life, run by the shared loop (see `watchChangeChannel` for the
 * contract: live, gap, resubscribing, `close`). Each attempt, the first included, must connect
 * and subscribe within `connectTimeoutMs`. The heartbeat is a PING on the subscribed
 * connection: Redis answers a connection in order, so a PONG proves that every message published
 * on that server before the PING has been delivered.
 */
export function watchChannel(
  open: () => Promise<Redis>,
  channel: string,
  feed: ChangeFeed,
  { heartbeatMs }: WatchOptions,
  connectTimeoutMs: number,
): Promise<Subscription> {
  const backend: ChannelBackend<Redis> = {
    open,
    async subscribe(connection, on) {
      connection.on('error', () => {}) // a failing connection closes; `close` is what counts
      connection.on('close', () => on.lost())
      connection.on('message', (from: string, text: string) => {
        if (from === channel) on.message(text)
      })
      await connection.connect()
      await connection.subscribe(channel)
    },
    ping: (connection) => connection.ping(),
    drop: (connection) => connection.disconnect(),
  }
  return watchChangeChannel(backend, feed, { heartbeatMs, connectTimeoutMs, name: 'redis: watch' })
}
