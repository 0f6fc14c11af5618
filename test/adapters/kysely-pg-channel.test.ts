// The PostgreSQL change channel against a scripted pool, so that every path (heartbeats late or
// failing, connections dropping, pools refusing) runs on fake timers, with no server. The suite
// over a real server is the conformance watch suite (kysely-postgres.test.ts) and sql-extras.
import { EventEmitter } from 'node:events'
import { Kysely, PostgresDialect } from 'kysely'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { kyselyStore, type PgPool, type PgPoolClient } from '../../adapters/kysely'
import { recordingFeed } from '../helpers/recording-feed'

class ScriptedClient extends EventEmitter {
  queries: string[] = []
  released: unknown[] = []
  /** How the next heartbeats answer. */
  heartbeat: 'answer' | 'hang' | 'fail' = 'answer'
  listen: 'answer' | 'fail' | Promise<void> = 'answer'

  query(text: string): Promise<unknown> {
    this.queries.push(text)
    if (text.startsWith('LISTEN') && this.listen === 'fail') {
      return Promise.reject(new Error('permission denied'))
    }
    if (text.startsWith('LISTEN') && this.listen instanceof Promise) {
      return this.listen.then(() => ({ rows: [] }))
    }
    if (text === 'SELECT 1' && this.heartbeat === 'hang') return new Promise(() => {})
    if (text === 'SELECT 1' && this.heartbeat === 'fail') {
      return Promise.reject(new Error('Connection terminated'))
    }
    return Promise.resolve({ rows: [] })
  }

  release(destroy?: boolean | Error) {
    this.released.push(destroy)
  }
}

function scriptedPool() {
  const clients: ScriptedClient[] = []
  let refusals = 0
  let listenGate: Promise<void> | null = null
  const pool: PgPool = {
    async query() {
      return { rows: [] }
    },
    async connect() {
      if (refusals > 0) {
        refusals--
        throw new Error('ECONNREFUSED')
      }
      const client = new ScriptedClient()
      if (listenGate) client.listen = listenGate
      clients.push(client)
      return client as unknown as PgPoolClient
    },
  }
  return {
    pool,
    clients,
    last: () => clients.at(-1)!,
    refuse(times: number) {
      refusals = times
    },
    /** New connections' LISTEN waits until the returned function is called. */
    holdListen(): () => void {
      let open = () => {}
      listenGate = new Promise<void>((resolve) => {
        open = resolve
      })
      return open
    },
  }
}

const HEARTBEAT = 40
const postgres = (pool: PgPool) =>
  new Kysely<unknown>({ dialect: new PostgresDialect({ pool: pool as never }) })

async function watching(tablePrefix = 'kc_') {
  const scripted = scriptedPool()
  const recorded = recordingFeed()
  const store = kyselyStore(postgres(scripted.pool), { tablePrefix, pg: scripted.pool })
  const subscription = await store.watch!(recorded.feed, { heartbeatMs: HEARTBEAT })
  return { ...scripted, ...recorded, subscription }
}

describe('PostgreSQL change channel (LISTEN/NOTIFY)', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('listens on <tablePrefix>changes and is live once LISTEN has answered', async () => {
    const { last, events, subscription } = await watching('billing_kc_')
    expect(last().queries).toEqual(['LISTEN "billing_kc_changes"'])
    expect(events).toEqual(['live'])
    await subscription.close()
  })

  it('reports the key and organisation changes of its own channel, nothing else', async () => {
    const { last, changes, subscription } = await watching()
    const notify = (channel: string, payload?: string) =>
      last().emit('notification', { channel, payload })
    notify('kc_changes', 'key:key_01')
    notify('kc_changes', 'organisation:org_01')
    notify('other_changes', 'key:key_02')
    notify('kc_changes', 'session:s_01')
    notify('kc_changes', 'key:')
    notify('kc_changes')
    expect(changes).toEqual([
      { kind: 'key', id: 'key_01' },
      { kind: 'organisation', id: 'org_01' },
    ])
    await subscription.close()
  })

  it('calls live after every answered heartbeat, more often than heartbeatMs', async () => {
    const { last, count, subscription } = await watching()
    await vi.advanceTimersByTimeAsync(HEARTBEAT * 5)
    expect(last().queries.filter((q) => q === 'SELECT 1').length).toBeGreaterThanOrEqual(9)
    expect(count('live')).toBeGreaterThanOrEqual(10)
    expect(count('gap')).toBe(0)
    await subscription.close()
  })

  it('reports a gap when a heartbeat is not answered within heartbeatMs, then listens again', async () => {
    const { clients, last, events, subscription } = await watching()
    const first = last()
    first.heartbeat = 'hang'
    await vi.advanceTimersByTimeAsync(HEARTBEAT / 2 + HEARTBEAT)
    expect(events.at(-1)).toBe('gap')
    expect(first.released).toHaveLength(1)
    expect(first.released[0]).toBeInstanceOf(Error) // destroyed, never back in the pool
    await vi.advanceTimersByTimeAsync(HEARTBEAT)
    expect(clients).toHaveLength(2)
    expect(last().queries).toEqual(['LISTEN "kc_changes"'])
    expect(events.at(-1)).toBe('live')
    // The dead connection's late news changes nothing.
    first.emit('end')
    expect(events.filter((e) => e === 'gap')).toHaveLength(1)
    await subscription.close()
  })

  it('reports one gap when the connection errors and ends, and listens again', async () => {
    const { clients, last, count, subscription } = await watching()
    const first = last()
    first.emit('error', new Error('terminating connection due to administrator command'))
    first.emit('end')
    expect(count('gap')).toBe(1)
    await vi.advanceTimersByTimeAsync(HEARTBEAT)
    expect(clients).toHaveLength(2)
    expect(count('live')).toBe(2)
    await subscription.close()
  })

  it('reports a gap when a heartbeat fails', async () => {
    const { last, count, subscription } = await watching()
    last().heartbeat = 'fail'
    await vi.advanceTimersByTimeAsync(HEARTBEAT / 2)
    expect(count('gap')).toBe(1)
    await subscription.close()
  })

  it('keeps trying while the pool refuses, every heartbeatMs, and is live once it listens', async () => {
    const { clients, last, refuse, count, subscription } = await watching()
    refuse(3)
    last().emit('end')
    await vi.advanceTimersByTimeAsync(HEARTBEAT * 3)
    expect(clients).toHaveLength(1)
    expect(count('live')).toBe(1)
    await vi.advanceTimersByTimeAsync(HEARTBEAT)
    expect(clients).toHaveLength(2)
    expect(count('live')).toBe(2)
    await subscription.close()
  })

  it('close destroys the listening connection, stops heartbeats, and is idempotent', async () => {
    const { last, count, subscription } = await watching()
    const client = last()
    await subscription.close()
    await subscription.close()
    expect(client.released).toEqual([true])
    const queries = client.queries.length
    await vi.advanceTimersByTimeAsync(HEARTBEAT * 5)
    expect(client.queries).toHaveLength(queries)
    client.emit('end')
    expect(count('gap')).toBe(0)
  })

  it('close while reconnecting destroys the connection the reconnection gets', async () => {
    const { clients, last, holdListen, count, subscription } = await watching()
    const answerListen = holdListen()
    last().emit('end')
    await vi.advanceTimersByTimeAsync(HEARTBEAT)
    expect(clients).toHaveLength(2) // reconnected, its LISTEN not answered yet
    await subscription.close()
    answerListen()
    await vi.advanceTimersByTimeAsync(HEARTBEAT * 3)
    expect(clients).toHaveLength(2)
    for (const client of clients) expect(client.released).toHaveLength(1)
    expect(count('live')).toBe(1)
  })

  it('rejects when the first LISTEN fails, destroying that connection, and retries nothing', async () => {
    const scripted = scriptedPool()
    const { feed, events } = recordingFeed()
    const store = kyselyStore(postgres(scripted.pool), { pg: scripted.pool })
    const connect = scripted.pool.connect
    scripted.pool.connect = async () => {
      const client = (await connect()) as unknown as ScriptedClient
      client.listen = 'fail'
      return client as unknown as PgPoolClient
    }
    // A fault like any store's: `unavailable`, the driver's error as its cause.
    await expect(store.watch!(feed, { heartbeatMs: HEARTBEAT })).rejects.toMatchObject({
      code: 'unavailable',
      cause: { message: 'permission denied' },
    })
    await vi.advanceTimersByTimeAsync(HEARTBEAT * 5)
    expect(scripted.clients).toHaveLength(1)
    expect(scripted.last().released).toHaveLength(1)
    expect(events).toEqual([])
  })
})
