// The server side of figure 5, run in a child process of its own (one core for the server, the
// other for the load generator): the same route with and without `apiKeyAuth`, over the memory
// store. It answers the parent over IPC: its CPU time so far, and the cost of one verification
// of the very token the load carries, measured here, in the process that serves it.
//
//   node --import tsx bench/http-server.ts express|koa
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import Koa from 'koa'
import { memoryStore } from '../adapters/memory'
import * as expressKit from '../src/express'
import * as koaKit from '../src/koa'
import { createKeycycle } from '../src/service/keycycle'
import { opsPerSecond } from './harness'

export type ParentMessage = { type: 'cpu' } | { type: 'verify'; ms: number } | { type: 'exit' }
export type ChildMessage =
  | { type: 'ready'; port: number; token: string }
  | { type: 'cpu'; micros: number }
  | { type: 'verify'; micros: number }

const framework = process.argv[2]
const kc = createKeycycle({ store: memoryStore() })
const { token } = await kc.createOrganisation()
const body = { ok: true }

let handler: Parameters<typeof createServer>[1]
if (framework === 'express') {
  const app = express()
  app.disable('x-powered-by')
  const route = (_req: express.Request, res: express.Response) => void res.json(body)
  app.get('/bare', route)
  app.get('/auth', expressKit.apiKeyAuth(kc), route)
  handler = app
} else if (framework === 'koa') {
  const app = new Koa()
  const auth = koaKit.apiKeyAuth(kc)
  // Koa has no router of its own: both paths go through the same dispatch.
  app.use(async (ctx, next) => (ctx.path === '/auth' ? auth(ctx, next) : next()))
  app.use(async (ctx) => {
    ctx.body = body
  })
  handler = app.callback()
} else {
  throw new Error(`unknown framework ${framework}`)
}

const server = createServer(handler).listen(0, '127.0.0.1')
await new Promise((resolve) => server.once('listening', resolve))
const send = (message: ChildMessage) => process.send?.(message)

process.on('message', async (message: ParentMessage) => {
  if (message.type === 'cpu') {
    const { user, system } = process.cpuUsage()
    send({ type: 'cpu', micros: user + system })
  } else if (message.type === 'verify') {
    const run = async () => {
      if (!(await kc.verify(token)).ok) throw new Error('the token failed to verify')
    }
    send({
      type: 'verify',
      micros: 1e6 / (await opsPerSecond({ name: 'verify', run }, message.ms)),
    })
  } else {
    server.close()
    server.closeAllConnections()
    await kc.close()
    process.exit(0)
  }
})
send({ type: 'ready', port: (server.address() as AddressInfo).port, token })
