import { spawn } from 'node:child_process'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { KeycycleEvent } from '../../src'
import { createKeycycle } from '../../src'
// @ts-expect-error: a plain ES module shared with the child processes, without types
import { openStore } from './open-store.mjs'

const CHILD = join(import.meta.dirname, 'child.mjs')
const suffix = () => Math.random().toString(36).slice(2, 8)

type Spec = { kind: 'sqlite'; file: string } | { kind: 'postgres' | 'redis'; prefix: string }
type Opened = { store: Parameters<typeof createKeycycle>[0]['store']; close(): Promise<void> }

// Runs the child until it prints `marker`, then kills it with SIGKILL; resolves with what it
// printed. The child never gets to finish what it was doing.
function runAndKill(args: string[], marker: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`the child never printed ${marker}:\n${output}`))
    }, 20_000)
    const read = (chunk: Buffer) => {
      output += chunk
      if (marker.test(output)) {
        child.kill('SIGKILL')
        clearTimeout(timer)
        child.once('exit', () => resolve(output))
      }
    }
    child.stdout.on('data', read)
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk
    })
  })
}

// PostgreSQL and Redis run here and in CI (see the README); these suites need them.
const STORES: { name: string; spec: () => Spec }[] = [
  {
    name: 'SQLite',
    spec: () => ({ kind: 'sqlite', file: join(tmpdir(), `keycycle-crash-${suffix()}.db`) }),
  },
  {
    name: 'PostgreSQL',
    spec: () => ({ kind: 'postgres', prefix: `kccrash_${suffix()}_` }),
  },
  {
    name: 'Redis',
    spec: () => ({ kind: 'redis', prefix: `kccrash:${suffix()}:` }),
  },
]

describe.each(STORES)('a crash between commit and delivery on $name', ({ spec }) => {
  const opened: Opened[] = []
  afterAll(async () => {
    for (const o of opened) await o.close()
  })

  it('loses nothing: a new instance delivers the killed one’s event once, and again after repeated crashes', async (context) => {
    const where = spec()
    const open = (await openStore(where)) as Opened
    opened.push(open)
    if (where.kind === 'sqlite') {
      context.onTestFinished(() => {
        for (const end of ['', '-journal', '-wal', '-shm'])
          rmSync(where.file + end, { force: true })
      })
    }
    const quiet = createKeycycle({ store: open.store })
    const { organisation, key } = await quiet.createOrganisation()
    const args = [JSON.stringify(where)]

    // 1. Killed right after the commit, before any delivery.
    await runAndKill([...args, 'commit', organisation.id, key.id], /committed/)
    const received: KeycycleEvent[] = []
    const survivor = createKeycycle({
      store: open.store,
      onEvent: (event) => {
        if ('key' in event && event.key.id === key.id) received.push(event)
      },
      dispatch: { leaseMs: 300, deliveryTimeoutMs: 299 },
    })
    await survivor.drainEvents()
    expect(received.map((e) => e.type)).toEqual(['key.rotated'])
    await survivor.drainEvents()
    expect(received).toHaveLength(1)
    await survivor.close()

    // 2. Another commit, then three instances in a row each killed while delivering it.
    await runAndKill([...args, 'commit', organisation.id, key.id], /committed/)
    const claimedBy: string[] = []
    for (let round = 0; round < 3; round++) {
      const output = await runAndKill([...args, 'deliver'], /delivering evt_\w+/)
      claimedBy.push(/delivering (evt_\w+)/.exec(output)![1]!)
    }
    expect(new Set(claimedBy).size).toBe(1)
    // The last killed instance's lease (300 ms) still holds the event: the next instance reads
    // a clock past it instead of waiting it out.
    const after = createKeycycle({
      store: open.store,
      clock: { now: () => Date.now() + 350 },
      onEvent: (event) => {
        if ('key' in event && event.key.id === key.id) received.push(event)
      },
    })
    await after.drainEvents()
    expect(received.map((e) => e.id)).toEqual([received[0]!.id, claimedBy[0]])
    expect(received[1]).toMatchObject({ type: 'key.rotated', key: { version: 3 } })
    await after.close()
  })
})

describe.each(STORES)('a crash between usage flushes on $name', ({ spec }) => {
  it('loses only what was counted since the last flush: at most one flush interval', async (context) => {
    const where = spec()
    const open = (await openStore(where)) as Opened
    context.onTestFinished(async () => {
      await open.close()
      if (where.kind === 'sqlite') {
        for (const end of ['', '-journal', '-wal', '-shm'])
          rmSync(where.file + end, { force: true })
      }
    })
    const kc = createKeycycle({ store: open.store, analytics: { enabled: false } })
    const { key, token } = await kc.createOrganisation()
    await runAndKill([JSON.stringify(where), 'usage', token], /counted/)
    // The 5 verifications flushed before the kill are there; the 3 after it are lost.
    const usage = await kc.asAdmin('ops').getKeyUsage(key.id)
    expect(usage.totals).toEqual({ success: 5, total: 5 })
    await kc.close()
  })
})
