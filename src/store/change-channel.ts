import { KeycycleError } from '../core/errors'
import { parseChange } from './change-message'
import { withDeadline } from './deadline'
import type { ChangeFeed, Subscription, WatchOptions } from './port'

/**
 * What a backend lends {@link watchChangeChannel}: subscriber connections, each opened,
 * subscribed, pinged and dropped when the loop says. `C` is one subscriber connection. The
 * backend keeps no state of its own about them and never reconnects by itself: a connection that
 * fails is reported through `lost`, and the loop decides what follows.
 */
export interface ChannelBackend<C extends object> {
  /**
   * A connection for one subscription attempt: a new one, or one checked out of a pool. It may
   * resolve before the connection is established if `subscribe` establishes it.
   */
  open(): Promise<C>
  /**
   * Hooks `on` to `connection` (`message` with the text of each message on the channel, and of
   * no other; `lost` when the connection fails or closes), then subscribes: resolves once every
   * message published from then on will be delivered.
   */
  subscribe(connection: C, on: ChannelEvents): Promise<void>
  /**
   * A round trip on `connection` whose answer comes after every message published before it was
   * sent (as Redis answers a connection in order, and PostgreSQL sends pending notifications
   * before a command's result).
   */
  ping(connection: C): Promise<unknown>
  /**
   * Closes `connection` for good (never back into a pool): on loss, on a failed or abandoned
   * attempt, on `close`. `reason` is the failure, when there was one. Called once per connection.
   */
  drop(connection: C, reason?: unknown): void
}

/** What a backend reports about one subscribed connection. */
export interface ChannelEvents {
  /** A message on the channel, as sent (see {@link changeMessage}). */
  message(text: string): void
  /** The connection failed or closed; `reason` is the error, when there is one. */
  lost(reason?: unknown): void
}

/** Options of {@link watchChangeChannel}. */
export interface ChangeChannelOptions extends WatchOptions {
  /** Deadline (ms) of each subscription attempt, from `open` to subscribed, the first included. */
  connectTimeoutMs: number
  /** Names the channel in error messages, e.g. `redis: watch`. */
  name: string
}

/** How long (ms) the loop waits before subscribing again after a loss or a failed attempt. */
export function retryDelayMs(heartbeatMs: number): number {
  // The gap outlives the outage by at most this much, so no longer than the heartbeat the host
  // asked for; and never more than a second, so a slow heartbeat (a long staleness bound) still
  // comes back promptly.
  return Math.max(1, Math.min(heartbeatMs, 1000))
}

/**
 * A store's change channel (its `KeyStore.watch`), run over `backend`. Resolves once subscribed,
 * with `feed` then live; rejects with `unavailable` when the first attempt fails or does not
 * subscribe within `connectTimeoutMs`, and then tries nothing more.
 *
 * Once subscribed: messages that {@link parseChange} reads go to `feed.changed`, others are
 * ignored. Every `heartbeatMs / 2` a ping on the connection; its answer calls `feed.live()`. A
 * ping unanswered within `heartbeatMs`, or the connection lost, calls `feed.gap()` once, drops
 * the connection and subscribes again on a new one every {@link retryDelayMs} until an attempt
 * succeeds (each within `connectTimeoutMs`), then `feed.live()`.
 *
 * `close` (idempotent) drops every connection held, one being opened included as soon as it
 * arrives; after it nothing is opened or scheduled and the feed hears nothing more. Timers never
 * keep a process alive.
 */
export async function watchChangeChannel<C extends object>(
  backend: ChannelBackend<C>,
  feed: ChangeFeed,
  { heartbeatMs, connectTimeoutMs, name }: ChangeChannelOptions,
): Promise<Subscription> {
  const beatEveryMs = Math.max(1, Math.floor(heartbeatMs / 2))
  const retryMs = retryDelayMs(heartbeatMs)
  const held = new Set<C>() // opened and not dropped yet: what `close` drops
  let live: C | null = null // subscribed and heartbeating
  let closed = false
  let timer: ReturnType<typeof setTimeout> | undefined

  const later = (fn: () => void, ms: number) => {
    clearTimeout(timer)
    if (closed) return
    timer = setTimeout(fn, ms)
    ;(timer as { unref?: () => void }).unref?.()
  }

  const drop = (connection: C, reason?: unknown) => {
    if (held.delete(connection)) backend.drop(connection, reason)
  }

  const message = (text: string) => {
    const change = closed ? null : parseChange(text)
    if (change !== null) feed.changed(change)
  }

  // A connection failed, closed or went silent. Only the live one's loss is a gap; any other is
  // an attempt's (which then fails) or a connection already dropped.
  function lost(connection: C, reason?: unknown) {
    drop(connection, reason)
    if (live !== connection) return
    live = null
    feed.gap()
    later(resubscribe, retryMs)
  }

  function resubscribe() {
    attempt().catch(() => later(resubscribe, retryMs))
  }

  // One attempt, under one deadline: open, subscribe, then live. A connection that arrives after
  // its attempt was given up (deadline or close) is dropped as it arrives; one lost or dropped
  // while subscribing fails the attempt.
  async function attempt(): Promise<void> {
    const tried: { connection: C | null; abandoned: boolean } = {
      connection: null,
      abandoned: false,
    }
    let next: C
    try {
      next = await withDeadline(name, connectTimeoutMs, async () => {
        const opened = await backend.open()
        held.add(opened)
        if (tried.abandoned || closed) {
          drop(opened)
          throw new KeycycleError('unavailable', `${name}: closed while connecting`)
        }
        tried.connection = opened
        await backend.subscribe(opened, { message, lost: (reason) => lost(opened, reason) })
        return opened
      })
      if (!held.has(next)) {
        throw new KeycycleError('unavailable', `${name}: the connection closed while subscribing`)
      }
    } catch (error) {
      tried.abandoned = true
      if (tried.connection !== null) drop(tried.connection, error)
      throw error
    }
    live = next
    feed.live()
    later(beat, beatEveryMs)
  }

  async function beat() {
    const beating = live
    if (beating === null) return
    try {
      await withDeadline(`${name}: heartbeat`, heartbeatMs, () => backend.ping(beating))
    } catch (error) {
      return lost(beating, error)
    }
    if (live !== beating) return
    feed.live()
    later(beat, beatEveryMs)
  }

  await attempt()
  return {
    async close() {
      closed = true
      clearTimeout(timer)
      live = null
      for (const connection of held) drop(connection)
    },
  }
}
