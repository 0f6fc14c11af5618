import type { Cluster, Redis } from 'ioredis'
import { KeycycleError } from '../../src/core/errors'
import type { ChangeFeed, StoreChange, Subscription, WatchOptions } from '../../src/store'
import { withDeadline } from '../../src/store/deadline'
import type { RedisClient } from './client'

/** The announcement of a change: `key:<id>` or `organisation:<id>`. */
export function changeMessage(change: StoreChange): string {
  return `${change.kind}:${change.id}`
}

function parseChange(message: string): StoreChange | null {
  const colon = message.indexOf(':')
  const kind = message.slice(0, colon)
  const id = message.slice(colon + 1)
  return colon > 0 && id !== '' && (kind === 'key' || kind === 'organisation') ? { kind, id } : null
}

// The subscriber connection never reconnects or resubscribes on its own: this file does, so that
// every drop is seen and reported as a gap.
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
export function subscriberOf(client: RedisClient, timeoutMs: number): () => Promise<Redis> {
  if (!client.isCluster) return async () => (client as Redis).duplicate(SUBSCRIBER)
  const cluster = client as Cluster
  return async () => {
    // Before the Cluster's first answer its nodes are unknown; any command waits for them.
    if (cluster.nodes('master').length === 0) {
      await withDeadline('redis: watch', timeoutMs, () => cluster.ping())
    }
    const masters = cluster.nodes('master')
    const node = masters[Math.floor(Math.random() * masters.length)]
    if (!node) throw new KeycycleError('unavailable', 'redis: watch: no Cluster master known')
    return node.duplicate(SUBSCRIBER)
  }
}

/**
 * The Redis change channel: SUBSCRIBE to `channel` on a connection of its own, held for the
 * subscription's life. Resolves once subscribed (the feed is then live); rejects if the first
 * attempt fails or takes longer than `connectTimeoutMs`.
 *
 * Liveness: a PING on the subscribed connection every `heartbeatMs / 2`; each answer calls
 * `feed.live()`. Redis answers a connection in order, so a PONG proves that every message
 * published on that server before the PING has been delivered. A PING unanswered within
 * `heartbeatMs`, or the connection closing, calls `feed.gap()`, drops the connection and
 * subscribes again on a new one (every `min(heartbeatMs, 1 s)` until it succeeds), then
 * `feed.live()`.
 */
export async function watchChannel(
  open: () => Promise<Redis>,
  channel: string,
  feed: ChangeFeed,
  { heartbeatMs }: WatchOptions,
  connectTimeoutMs: number,
): Promise<Subscription> {
  const beatEveryMs = Math.max(1, Math.floor(heartbeatMs / 2))
  const retryMs = Math.min(heartbeatMs, 1000)
  let connection: Redis | null = null
  let connecting: Redis | null = null
  let closed = false
  let timer: ReturnType<typeof setTimeout> | undefined

  const later = (fn: () => void, ms: number) => {
    clearTimeout(timer)
    if (closed) return
    timer = setTimeout(fn, ms)
    timer.unref?.()
  }

  // The subscribed connection is gone or silent: report the gap, drop it, subscribe again.
  // Ignores a connection already replaced, so a timeout followed by `close` counts once.
  function lost(gone: Redis) {
    if (connection !== gone) return
    connection = null
    gone.disconnect()
    if (closed) return
    feed.gap()
    later(reconnect, retryMs)
  }

  function reconnect() {
    if (!closed) connect().catch(() => later(reconnect, retryMs))
  }

  // One attempt: open a connection, subscribe, and call the feed live.
  async function connect(): Promise<void> {
    const next = await open()
    connecting = next
    next.on('error', () => {}) // a failing connection closes; `close` is what counts
    next.on('close', () => lost(next))
    next.on('message', (from: string, message: string) => {
      const change = from === channel && !closed ? parseChange(message) : null
      if (change) feed.changed(change)
    })
    try {
      await withDeadline('redis: watch', connectTimeoutMs, async () => {
        await next.connect()
        await next.subscribe(channel)
      })
      if (closed || next.status !== 'ready') {
        throw new KeycycleError(
          'unavailable',
          'redis: watch: the connection closed while subscribing',
        )
      }
    } catch (error) {
      next.disconnect()
      throw error
    } finally {
      if (connecting === next) connecting = null
    }
    connection = next
    feed.live()
    later(beat, beatEveryMs)
  }

  async function beat() {
    const beating = connection
    if (beating === null) return
    const answered = await withDeadline('redis: watch: PING', heartbeatMs, () => beating.ping())
      .then(() => true)
      .catch(() => false)
    if (connection !== beating) return
    if (!answered) return lost(beating)
    feed.live()
    later(beat, beatEveryMs)
  }

  await connect()
  return {
    async close() {
      closed = true
      clearTimeout(timer)
      for (const held of [connection, connecting]) held?.disconnect()
      connection = null
      connecting = null
    },
  }
}
