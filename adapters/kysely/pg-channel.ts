import {
  type ChangeFeed,
  type ChannelBackend,
  type Subscription,
  type WatchOptions,
  watchChangeChannel,
} from '../../src/store'
import { DEFAULT_STORE_TIMEOUT_MS } from '../../src/store/deadline'
import type { PgPool, PgPoolClient } from './drivers'

/**
 * The PostgreSQL change channel: `LISTEN` on one connection checked out of `pool` and held for
 * the subscription's life, run by the shared loop (see `watchChangeChannel` for the contract:
 * live, gap, resubscribing, `close`). The heartbeat is a `SELECT 1` on the listening connection:
 * PostgreSQL sends a connection its pending notifications before the result of its next command,
 * so an answered heartbeat proves that every change committed before it was sent has been
 * delivered. A connection the loop drops is destroyed, never returned to the pool (it listens).
 * Each attempt, the first included, must check a connection out and LISTEN within
 * `connectTimeoutMs` (default: the policy's `DEFAULT_STORE_TIMEOUT_MS`).
 */
export function listen(
  pool: PgPool,
  channel: string,
  feed: ChangeFeed,
  { heartbeatMs }: WatchOptions,
  connectTimeoutMs = DEFAULT_STORE_TIMEOUT_MS,
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
