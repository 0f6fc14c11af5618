import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../helpers/ports'
import { runSeedCalls } from './seeds'

const ROOT = join(import.meta.dirname, '../..')

/** Starts `node examples/server.mjs` and resolves once it listens, with what it printed. */
async function startExample(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; output: string }> {
  const child = spawn(process.execPath, ['examples/server.mjs'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  })
  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`example did not start:\n${output}`)), 20_000)
    child.stdout!.on('data', (chunk) => {
      output += chunk
      if (output.includes('listening on')) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.stderr!.on('data', (chunk) => {
      output += chunk
    })
    child.once('exit', (code) => reject(new Error(`example exited with ${code}:\n${output}`)))
  })
  return { child, output }
}

describe('the example server answers the seeds’ curl calls from the README', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keycycle-example-'))
  const children: ChildProcess[] = []
  afterAll(() => {
    for (const child of children) child.kill()
    rmSync(dir, { recursive: true, force: true })
  })

  it('runs every call as written and gets the documented answers', async () => {
    const port = await freePort()
    const env = { PORT: String(port), KEYCYCLE_DB: join(dir, 'example.db') }
    const { child, output } = await startExample(env)
    children.push(child)
    const token = /^KEYCYCLE_TOKEN=(\S+)$/m.exec(output)?.[1]
    expect(token).toMatch(/^kc_/)
    expect(output).toMatch(/^KEYCYCLE_ADMIN_TOKEN=\S+$/m)

    const created = await runSeedCalls(port, token!)
    child.kill()

    // A second start on the same database keeps its organisation and shows no token again.
    const again = await startExample({ ...env, KEYCYCLE_ADMIN_TOKEN: 'fixed-admin-token' })
    children.push(again.child)
    expect(again.output).not.toContain('KEYCYCLE_TOKEN=')
    expect(again.output).toContain('KEYCYCLE_ADMIN_TOKEN=fixed-admin-token')
    const admin = execFileSync(
      'curl',
      [
        '-s',
        `http://localhost:${port}/keys?organisation=${created.organisation}&limit=1`,
        '-H',
        'X-Admin-Token: fixed-admin-token',
      ],
      { encoding: 'utf8' },
    )
    expect(JSON.parse(admin)).toMatchObject({ resource: 'list', has_more: true })
  })
})
