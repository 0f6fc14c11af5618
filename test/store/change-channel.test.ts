// The change-channel loop over a scripted backend, on fake timers: every path (attempts that
// fail, hang or arrive late, heartbeats unanswered, close at each step) with no server and no
// real sleep. The same loop over real Redis and PostgreSQL: test/adapters/channel-faults.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  type ChannelBackend,
  type ChannelEvents,
  changeMessage,
  parseChange,
  retryDelayMs,
  watchChangeChannel,
} from '../../src/store'
import { recordingFeed } from '../helpers/recording-feed'

/** How a scripted call answers: at once, with an error, never, or when `release` is called. */
type Mode = 'answer' | 'fail' | 'hang' | 'hold'

class Connection {
  on: ChannelEvents | null = null
  pings = 0
  drops: unknown[] = []
}

function scriptedBackend() {
  const connections: Connection[] = []
  const script: Record<'open' | 'subscribe' | 'ping', Mode> = {
    open: 'answer',
    subscribe: 'answer',
    ping: 'answer',
  }
  const held: (() => void)[] = []
  let opens = 0
  const act = <T>(mode: Mode, value: () => T): Promise<T> => {
    if (mode === 'answer') return Promise.resolve(value())
    if (mode === 'fail') return Promise.reject(new Error('refused'))
    return new Promise<T>((resolve) => {
      if (mode === 'hold') held.push(() => resolve(value()))
    })
  }
  const backend: ChannelBackend<Connection> = {
    open: () => {
      opens++
      return act(script.open, () => {
        const connection = new Connection()
        connections.push(connection)
        return connection
      })
    },
    subscribe: (connection, on) => {
      connection.on = on
      return act(script.subscribe, () => undefined)
    },
    ping: (connection) => {
      connection.pings++
      return act(script.ping, () => 'PONG')
    },
    drop: (connection, reason) => {
      connection.drops.push(reason)
    },
  }
  return {
    backend,
    script,
    connections,
    last: () => connections.at(-1)!,
    opens: () => opens,
    /** Answers every call held so far. */
    release: () => {
      for (const answer of held.splice(0)) answer()
    },
  }
}

/** Counts the timers set from now on (the loop's own and the deadlines'). */
function countTimersSet(): () => number {
  const spy = vi.spyOn(globalThis, 'setTimeout')
  return () => spy.mock.calls.length
}

const HEARTBEAT = 200
const CONNECT_TIMEOUT = 300
const RETRY = retryDelayMs(HEARTBEAT)
const options = { heartbeatMs: HEARTBEAT, connectTimeoutMs: CONNECT_TIMEOUT, name: 'test: watch' }

async function watching(heartbeatMs = HEARTBEAT) {
  const scripted = scriptedBackend()
  const recorded = recordingFeed()
  const subscription = await watchChangeChannel(scripted.backend, recorded.feed, {
    ...options,
    heartbeatMs,
  })
  return { ...scripted, ...recorded, subscription }
}

describe('change messages', () => {
  it('reads back what it writes, for both kinds', () => {
    for (const change of [
      { kind: 'key', id: 'key_01' },
      { kind: 'organisation', id: 'org_01:with:colons' },
    ] as const) {
      expect(parseChange(changeMessage(change))).toEqual(change)
    }
    expect(changeMessage({ kind: 'key', id: 'key_01' })).toBe('key:key_01')
  })

  it('reads no change from an empty ID, an unknown kind or a message without a colon', () => {
    for (const text of [
      'key:',
      'organisation:',
      'session:s_01',
      ':key_01',
      'key_01',
      '',
      'Key:k',
    ]) {
      expect(parseChange(text)).toBeNull()
    }
  })
})

describe('change-channel loop', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(async () => {
    vi.restoreAllMocks()
    // Lets every deadline still armed come due, so none is left for the next test's clock.
    await vi.advanceTimersByTimeAsync(60_000)
    vi.useRealTimers()
  })

  it('retries after min(heartbeatMs, 1 s)', () => {
    expect(retryDelayMs(40)).toBe(40)
    expect(retryDelayMs(1000)).toBe(1000)
    expect(retryDelayMs(20_000)).toBe(1000)
  })

  it('resolves once subscribed, the feed then live, on one connection', async () => {
    const { connections, events, subscription } = await watching()
    expect(connections).toHaveLength(1)
    expect(events).toEqual(['live'])
    await subscription.close()
  })

  it('reports the changes it reads, ignoring empty IDs and malformed messages', async () => {
    const { last, changes, subscription } = await watching()
    for (const text of ['key:key_01', 'key:', 'organisation:', 'session:s_01', 'nonsense']) {
      last().on!.message(text)
    }
    last().on!.message('organisation:org_01')
    expect(changes).toEqual([
      { kind: 'key', id: 'key_01' },
      { kind: 'organisation', id: 'org_01' },
    ])
    await subscription.close()
    last().on!.message('key:key_02')
    expect(changes).toHaveLength(2)
  })

  it('pings every heartbeatMs / 2 and calls live after each answer', async () => {
    const { last, count, subscription } = await watching()
    await vi.advanceTimersByTimeAsync(HEARTBEAT * 5)
    expect(last().pings).toBe(10)
    expect(count('live')).toBe(11)
    expect(count('gap')).toBe(0)
    await subscription.close()
  })

  it('reports one gap when a ping goes unanswered for heartbeatMs, drops the connection, and subscribes again after the retry delay', async () => {
    const { script, connections, last, events, subscription } = await watching()
    const first = last()
    script.ping = 'hang'
    await vi.advanceTimersByTimeAsync(HEARTBEAT / 2 + HEARTBEAT - 1)
    expect(events).toEqual(['live'])
    await vi.advanceTimersByTimeAsync(1)
    expect(events).toEqual(['live', 'gap'])
    expect(first.drops).toHaveLength(1)
    expect(first.drops[0]).toMatchObject({ code: 'unavailable' })
    script.ping = 'answer'
    await vi.advanceTimersByTimeAsync(RETRY - 1)
    expect(connections).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(connections).toHaveLength(2)
    expect(events).toEqual(['live', 'gap', 'live'])
    // The dropped connection's late news changes nothing.
    first.on!.lost()
    expect(events).toEqual(['live', 'gap', 'live'])
    await subscription.close()
  })

  it('a ping answered after its connection was lost does not call live', async () => {
    const { script, last, events, release, subscription } = await watching()
    script.ping = 'hold'
    await vi.advanceTimersByTimeAsync(HEARTBEAT / 2)
    script.open = 'hang'
    last().on!.lost()
    release()
    await vi.advanceTimersByTimeAsync(0)
    expect(events).toEqual(['live', 'gap'])
    await subscription.close()
  })

  it('reports one gap when the connection is lost twice over (error, then close)', async () => {
    const { last, connections, count, subscription } = await watching()
    const first = last()
    first.on!.lost(new Error('reset'))
    first.on!.lost()
    expect(count('gap')).toBe(1)
    expect(first.drops).toHaveLength(1)
    expect(first.drops[0]).toBeInstanceOf(Error)
    await vi.advanceTimersByTimeAsync(RETRY)
    expect(connections).toHaveLength(2)
    expect(count('live')).toBe(2)
    await subscription.close()
  })

  it('keeps trying every retry delay while attempts fail or time out, then is live', async () => {
    const { script, opens, connections, last, count, subscription } = await watching(5000)
    expect(retryDelayMs(5000)).toBe(1000)
    script.open = 'fail'
    last().on!.lost()
    await vi.advanceTimersByTimeAsync(1000 * 3)
    expect(opens()).toBe(4) // the first, then three refused
    script.open = 'answer'
    script.subscribe = 'hang'
    await vi.advanceTimersByTimeAsync(1000)
    expect(opens()).toBe(5)
    await vi.advanceTimersByTimeAsync(CONNECT_TIMEOUT)
    expect(last().drops).toHaveLength(1) // the attempt that never subscribed
    expect(count('live')).toBe(1)
    script.subscribe = 'answer'
    await vi.advanceTimersByTimeAsync(1000 - 1)
    expect(opens()).toBe(5)
    await vi.advanceTimersByTimeAsync(1)
    expect(opens()).toBe(6)
    expect(count('live')).toBe(2)
    expect(count('gap')).toBe(1)
    expect(connections.filter((c) => c.drops.length === 0)).toHaveLength(1)
    await subscription.close()
  })

  it('fails an attempt whose connection is lost while subscribing, and tries again', async () => {
    const { script, connections, count, release, subscription } = await watching()
    script.subscribe = 'hold'
    connections[0]!.on!.lost()
    await vi.advanceTimersByTimeAsync(RETRY)
    connections[1]!.on!.lost(new Error('reset'))
    release()
    await vi.advanceTimersByTimeAsync(0)
    expect(count('live')).toBe(1)
    expect(connections[1]!.drops).toHaveLength(1)
    script.subscribe = 'answer'
    await vi.advanceTimersByTimeAsync(RETRY)
    expect(connections).toHaveLength(3)
    expect(count('live')).toBe(2)
    await subscription.close()
  })

  it('rejects with unavailable when the first attempt fails, and tries nothing more', async () => {
    const { backend, script, opens } = scriptedBackend()
    const { feed, events } = recordingFeed()
    script.open = 'fail'
    await expect(watchChangeChannel(backend, feed, options)).rejects.toMatchObject({
      code: 'unavailable',
      cause: { message: 'refused' },
    })
    await vi.advanceTimersByTimeAsync(HEARTBEAT * 10)
    expect(opens()).toBe(1)
    expect(events).toEqual([])
  })

  it('rejects when the first attempt does not subscribe within connectTimeoutMs, and drops its connection', async () => {
    const { backend, script, connections, opens } = scriptedBackend()
    const { feed, events } = recordingFeed()
    script.subscribe = 'hang'
    const watched = watchChangeChannel(backend, feed, options).catch((e: unknown) => e)
    let settled = false
    void watched.then(() => {
      settled = true
    })
    await vi.advanceTimersByTimeAsync(CONNECT_TIMEOUT - 1)
    expect(settled).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(await watched).toMatchObject({ code: 'unavailable' })
    expect(connections[0]!.drops).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(HEARTBEAT * 10)
    expect(opens()).toBe(1)
    expect(events).toEqual([])
  })

  it('rejects when the first connection takes longer than connectTimeoutMs to open, and drops it when it arrives', async () => {
    const { backend, script, connections, release, opens } = scriptedBackend()
    const { feed, events } = recordingFeed()
    script.open = 'hold'
    const watched = watchChangeChannel(backend, feed, options).catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(CONNECT_TIMEOUT)
    expect(await watched).toMatchObject({ code: 'unavailable' })
    release()
    await vi.advanceTimersByTimeAsync(0)
    expect(connections).toHaveLength(1)
    expect(connections[0]!.drops).toHaveLength(1)
    expect(connections[0]!.on).toBeNull() // never subscribed
    await vi.advanceTimersByTimeAsync(HEARTBEAT * 10)
    expect(opens()).toBe(1)
    expect(events).toEqual([])
  })

  it('close drops the connection, stops pinging, schedules nothing, and is idempotent', async () => {
    const { last, count, subscription } = await watching()
    const connection = last()
    await subscription.close()
    const timersSet = countTimersSet()
    await subscription.close()
    expect(connection.drops).toEqual([undefined])
    await vi.advanceTimersByTimeAsync(HEARTBEAT * 5)
    expect(timersSet()).toBe(0)
    expect(connection.pings).toBe(0)
    connection.on!.lost()
    expect(count('gap')).toBe(0)
    expect(count('live')).toBe(1)
  })

  it('close during a ping: the answer changes nothing, and nothing is scheduled', async () => {
    const { script, last, count, opens, release, subscription } = await watching()
    script.ping = 'hold'
    await vi.advanceTimersByTimeAsync(HEARTBEAT / 2)
    expect(last().pings).toBe(1)
    await subscription.close()
    const timersSet = countTimersSet()
    release()
    await vi.advanceTimersByTimeAsync(HEARTBEAT * 5)
    expect(timersSet()).toBe(0)
    expect(count('live') + count('gap')).toBe(1)
    expect(last().pings).toBe(1)
    expect(opens()).toBe(1)
  })

  it('close while waiting to retry: nothing is opened afterwards', async () => {
    const { last, opens, events, subscription } = await watching()
    last().on!.lost()
    await subscription.close()
    const timersSet = countTimersSet()
    await vi.advanceTimersByTimeAsync(RETRY * 10)
    expect(timersSet()).toBe(0)
    expect(opens()).toBe(1)
    expect(events).toEqual(['live', 'gap'])
  })

  it('close while a connection is being opened: it is dropped as it arrives, nothing follows', async () => {
    const { script, connections, opens, release, events, subscription } = await watching()
    script.open = 'hold'
    connections[0]!.on!.lost()
    await vi.advanceTimersByTimeAsync(RETRY)
    expect(opens()).toBe(2)
    await subscription.close()
    const timersSet = countTimersSet()
    release()
    await vi.advanceTimersByTimeAsync(RETRY * 10)
    expect(timersSet()).toBe(0)
    expect(opens()).toBe(2)
    expect(connections).toHaveLength(2)
    expect(connections[1]!.drops).toHaveLength(1)
    expect(connections[1]!.on).toBeNull()
    expect(events).toEqual(['live', 'gap'])
  })

  it('close while subscribing: the connection is dropped once, and never called live', async () => {
    const { script, connections, opens, release, events, subscription } = await watching()
    script.subscribe = 'hold'
    connections[0]!.on!.lost()
    await vi.advanceTimersByTimeAsync(RETRY)
    await subscription.close()
    const timersSet = countTimersSet()
    expect(connections[1]!.drops).toEqual([undefined])
    release()
    await vi.advanceTimersByTimeAsync(RETRY * 10)
    expect(timersSet()).toBe(0)
    expect(connections[1]!.drops).toHaveLength(1)
    expect(connections[1]!.pings).toBe(0)
    expect(opens()).toBe(2)
    expect(events).toEqual(['live', 'gap'])
  })
})
