import {
  type ChangeFeed,
  type ChannelBackend,
  type Subscription,
  type WatchOptions,
  watchChangeChannel,
} from '../../src/store'
import type { PgPool, PgPoolClient } from './drivers'

/**
 * How long (ms) each attempt, the first included, may take to check a connection out of the
 * pool and LISTEN on it. The store has no command deadline of its own to borrow; this one is
 * generous because a first attempt that fails is not retried (the verification cache then keeps
 * only its staleness bound), and a pool busy with the host's own queries may be slow to lend.
 */
export const LISTEN_TIMEOUT_MS = 5000

/**
 * The PostgreSQL change channel: `LISTEN` on one connection checked out of `pool` and held for
 * the subscription's life, run by the shared loop (see `watchChangeChannel` for the contract:
 * live, gap, resubscribing, `close`). The heartbeat is a `SELECT 1` on the listening connection:
 * PostgreSQL sends a connection its pending notifications before the result of its next command,
 * so an answered heartbeat proves that every change committed before it was sent has been
 * delivered. A connection the loop drops is destroyed, never returned to the pool (it listens).
 */
export function listen(
  pool: PgPool,
  channel: string,
  feed: ChangeFeed,
  { heartbeatMs }: WatchOptions,
  connectTimeoutMs = LISTEN_TIMEOUT_MS,
): Promise<Subscription> {
  const backend: ChannelBackend<PgPoolClient> = {
    open: () => pool.connect(),
    async subscribe(client, on) {
      client.on('notification', (message) => {
        if (message.channel === channel && message.payload !== undefined) {
          on.message(message.payload)
        }
      })
      client.on('error', (error) => on.lost(error))
      client.on('end', () => on.lost())
      await client.query(`LISTEN "${channel}"`)
    },
    ping: (client) => client.query('SELECT 1'),
    drop: (client, reason) => client.release(reason instanceof Error ? reason : true),
  }
  return watchChangeChannel(backend, feed, {
    heartbeatMs,
    connectTimeoutMs,
    name: 'postgres: watch',
  })
}
