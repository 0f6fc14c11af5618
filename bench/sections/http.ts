// Figure 5: what `apiKeyAuth` costs a real HTTP server. The server runs in a child process and
// autocannon (64 keep-alive connections) loads it from this one, the bare route and the
// guarded one taking turns, both sent the same Authorization header. The server's CPU time per
// request, with and without the middleware, less one verification timed in the same process,
// is what the middleware adds; the throughput ratio is the overhead a host sees.
import type { ChildProcess } from 'node:child_process'
import { loadDependency } from '../deps'
import { spread } from '../harness'
import type { ChildMessage, ParentMessage } from '../http-server'
import { forkProgram } from '../paths'
import { ops } from '../report'
import type { Context } from './context'

interface AutocannonResult {
  requests: { total: number }
  start: Date
  finish: Date
  errors: number
  non2xx: number
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>

const CONNECTIONS = 64

function ask<T extends ChildMessage['type']>(
  child: ChildProcess,
  message: ParentMessage | null,
  type: T,
): Promise<Extract<ChildMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: ChildMessage) => {
      if (reply.type !== type) return
      child.off('message', onMessage)
      child.off('exit', onExit)
      resolve(reply as Extract<ChildMessage, { type: T }>)
    }
    const onExit = (code: number | null) => reject(new Error(`the server exited (${code})`))
    child.on('message', onMessage)
    child.once('exit', onExit)
    if (message) child.send(message)
  })
}

export async function httpFigures(framework: 'express' | 'koa', ctx: Context): Promise<void> {
  const { default: autocannon } = await loadDependency<{ default: Autocannon }>('autocannon')
  const child = forkProgram('http-server', [framework])
  try {
    const { port, token } = await ask(child, null, 'ready')
    // One load run: requests per second, and the server's CPU µs per request.
    // One load run: requests, seconds, and the server's CPU µs spent on them.
    const load = async (path: string, duration: number) => {
      const before = (await ask(child, { type: 'cpu' }, 'cpu')).micros
      const result = await autocannon({
        url: `http://127.0.0.1:${port}${path}`,
        connections: CONNECTIONS,
        duration,
        headers: { authorization: `Bearer ${token}` },
      })
      const after = (await ask(child, { type: 'cpu' }, 'cpu')).micros
      if (result.errors > 0 || result.non2xx > 0) {
        throw new Error(`${path}: ${result.errors} errors, ${result.non2xx} non-2xx answers`)
      }
      const seconds = (result.finish.getTime() - result.start.getTime()) / 1000
      return { requests: result.requests.total, seconds, cpu: after - before }
    }

    console.log(`\n[${framework}] apiKeyAuth vs the bare route, ${CONNECTIONS} connections`)
    const turns = Math.min(2, ctx.timing.slices)
    const turnSeconds = (ctx.timing.caseMs * 4) / 1000 / turns
    await load('/bare', turnSeconds)
    await load('/auth', turnSeconds)
    const rounds: { bare: number; auth: number; added: number; verify: number }[] = []
    for (let round = 0; round < ctx.timing.rounds; round++) {
      const sum = {
        '/bare': { requests: 0, seconds: 0, cpu: 0 },
        '/auth': { requests: 0, seconds: 0, cpu: 0 },
      }
      for (let turn = 0; turn < turns; turn++) {
        const order = (round * turns + turn) % 2 === 0 ? ['/bare', '/auth'] : ['/auth', '/bare']
        for (const path of order as (keyof typeof sum)[]) {
          const run = await load(path, turnSeconds)
          sum[path].requests += run.requests
          sum[path].seconds += run.seconds
          sum[path].cpu += run.cpu
        }
      }
      const verify = (await ask(child, { type: 'verify', ms: ctx.timing.caseMs }, 'verify')).micros
      const bare = sum['/bare']
      const auth = sum['/auth']
      rounds.push({
        bare: bare.requests / bare.seconds,
        auth: auth.requests / auth.seconds,
        added: auth.cpu / auth.requests - bare.cpu / bare.requests - verify,
        verify,
      })
    }
    const median = (pick: (r: (typeof rounds)[number]) => number) => spread(rounds.map(pick)).median
    const note = `${ops(median((r) => r.auth))} vs ${ops(median((r) => r.bare))} req/s; verify ${median((r) => r.verify).toFixed(1)} µs`
    ctx.report.add(
      5,
      `${framework}: CPU µs per request added beyond verify`,
      spread(rounds.map((r) => r.added)),
      'µs',
      { atMost: 10 },
      note,
    )
    ctx.report.add(
      5,
      `${framework}: throughput lost to apiKeyAuth (incl. verify)`,
      spread(rounds.map((r) => (1 - r.auth / r.bare) * 100)),
      '%',
      { none: true },
      note,
    )
  } finally {
    if (child.connected) child.send({ type: 'exit' } satisfies ParentMessage)
    await new Promise((resolve) =>
      child.exitCode === null ? child.once('exit', resolve) : resolve(null),
    )
  }
}
