import type { ChangeFeed, Subscription, WatchOptions } from '../../src/store'
import { withDeadline } from '../../src/store/deadline'
import type { PgNotification, PgPool, PgPoolClient } from './drivers'
import { parseChange } from './statements'

/**
 * The PostgreSQL change channel: `LISTEN` on one connection checked out of `pool` and held for
 * the subscription's life. Resolves once listening (the feed is then live), or rejects if the
 * first attempt fails.
 *
 * Liveness: a `SELECT 1` on the listening connection every `heartbeatMs / 2`; each answer calls
 * `feed.live()`. PostgreSQL sends a connection its pending notifications before the result of
 * its next command, so an answered heartbeat proves that every change committed before it was
 * sent has been delivered. A heartbeat unanswered within `heartbeatMs`, a connection error or
 * its end calls `feed.gap()`, destroys the connection (a listening connection never goes back
 * to the pool) and tries again every `heartbeatMs` until it listens, then `feed.live()`.
 */
export async function listen(
  pool: PgPool,
  channel: string,
  feed: ChangeFeed,
  { heartbeatMs }: WatchOptions,
): Promise<Subscription> {
  const beatEveryMs = Math.max(1, Math.floor(heartbeatMs / 2))
  let client: PgPoolClient | null = null
  let closed = false
  let timer: ReturnType<typeof setTimeout> | undefined

  const later = (fn: () => void, ms: number) => {
    clearTimeout(timer)
    timer = setTimeout(fn, ms)
    ;(timer as { unref?: () => void }).unref?.()
  }

  const onNotification = (message: PgNotification) => {
    if (message.channel !== channel || message.payload === undefined) return
    const change = parseChange(message.payload)
    if (change !== null) feed.changed(change)
  }

  // The listening connection is gone: report the gap, destroy it, and listen again. Ignores a
  // connection already replaced, so an error followed by `end` counts once.
  function lost(gone: PgPoolClient, error?: unknown) {
    if (client !== gone) return
    client = null
    gone.release(error instanceof Error ? error : true)
    if (closed) return
    feed.gap()
    later(reconnect, heartbeatMs)
  }

  function reconnect() {
    if (!closed) connect().catch(() => later(reconnect, heartbeatMs))
  }

  // One attempt: check a connection out, LISTEN on it, and call the feed live.
  async function connect(): Promise<void> {
    const next = await pool.connect()
    const onLost = (error?: unknown) => lost(next, error)
    next.on('notification', onNotification)
    next.on('error', onLost)
    next.on('end', onLost)
    try {
      if (closed) throw new Error('closed')
      await next.query(`LISTEN "${channel}"`)
    } catch (error) {
      next.release(error instanceof Error ? error : true)
      throw error
    }
    if (closed) return next.release(true)
    client = next
    feed.live()
    later(beat, beatEveryMs)
  }

  async function beat() {
    const beating = client
    if (beating === null) return
    try {
      await withDeadline('postgres: watch heartbeat', heartbeatMs, () => beating.query('SELECT 1'))
    } catch (error) {
      return lost(beating, error)
    }
    if (client !== beating) return
    feed.live()
    later(beat, beatEveryMs)
  }

  await connect()
  return {
    async close() {
      closed = true
      clearTimeout(timer)
      const held = client
      client = null
      held?.release(true)
    },
  }
}
