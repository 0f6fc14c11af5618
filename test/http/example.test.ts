import { type ChildProcess, execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../helpers/ports'
import { startExample } from './example-server'
import { runSeedCalls } from './seeds'

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
