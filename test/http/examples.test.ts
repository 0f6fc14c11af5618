import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../helpers/ports'
import { call, send } from './hosts'

const ROOT = join(import.meta.dirname, '../..')

/** Starts `node examples/<file>` on a free port; resolves with its URL and token once it listens. */
async function startExample(file: string, children: ChildProcess[]) {
  const port = await freePort()
  const child = spawn(process.execPath, [join('examples', file)], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port) },
  })
  children.push(child)
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start:\n${output}`)), 20_000)
    const read = (chunk: Buffer) => {
      output += chunk
      if (output.includes('listening on') && output.includes('KEYCYCLE_TOKEN=')) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout!.on('data', read)
    child.stderr!.on('data', read)
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}:\n${output}`)))
  })
  const token = /^KEYCYCLE_TOKEN=(\S+)$/m.exec(output)![1]!
  return { url: `http://127.0.0.1:${port}`, token }
}

// Each host's example as written (it imports the built package, from the global build setup).
describe.each(['express.mjs', 'koa.mjs', 'fastify.mjs', 'hono.mjs', 'fetch.mjs'])(
  'examples/%s',
  (file) => {
    const children: ChildProcess[] = []
    afterAll(() => {
      for (const child of children) child.kill()
    })

    it('serves a route behind apiKeyAuth and the management API', async () => {
      const example = await startExample(file, children)
      const whoami = await call(example, '/whoami', { token: example.token })
      expect([whoami.status, whoami.body]).toEqual([
        200,
        { organisation: expect.stringMatching(/^org_/) },
      ])
      expect((await call(example, '/whoami')).status).toBe(401)
      const twice = { 'x-api-key': [example.token, example.token] }
      expect((await send(example, { path: '/whoami', headers: twice })).status).toBe(401)
      const list = await call(example, '/keys?limit=1', { token: example.token })
      expect([list.status, list.body.resource]).toEqual([200, 'list'])
      expect((await call(example, '/keys')).status).toBe(401)
      expect((await call(example, '/elsewhere', { token: example.token })).status).toBe(404)
    })
  },
)
