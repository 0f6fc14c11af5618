import { type ChildProcess, execFileSync } from 'node:child_process'
import { createHmac } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
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
    // No KEYCYCLE_SECRET_ENCRYPTION_KEY: a key-encryption key is created beside the database.
    expect(output).toContain(
      `created a key-encryption key for signing keys in ${env.KEYCYCLE_DB}.kek`,
    )

    const created = await runSeedCalls(port, token!)
    child.kill()

    // A second start on the same database keeps its organisation and shows no token again;
    // the key-encryption key given in the environment (the one created at the first start)
    // opens the signing key sealed then.
    const kek = readFileSync(`${env.KEYCYCLE_DB}.kek`, 'utf8').trim()
    expect(Buffer.from(kek, 'base64')).toHaveLength(32)
    const again = await startExample({
      ...env,
      KEYCYCLE_ADMIN_TOKEN: 'fixed-admin-token',
      KEYCYCLE_SECRET_ENCRYPTION_KEY: kek,
    })
    children.push(again.child)
    expect(again.output).not.toContain('KEYCYCLE_TOKEN=')
    expect(again.output).not.toContain('key-encryption key')
    const at = String(Date.now())
    const message = `GET /whoami\n${at}\n${created.signing.id}`
    const whoami = await fetch(`http://localhost:${port}/whoami`, {
      headers: {
        'x-ncp-apigw-timestamp': at,
        'x-ncp-iam-access-key': created.signing.id,
        'x-ncp-apigw-signature-v2': createHmac('sha256', created.signing.token)
          .update(message)
          .digest('base64'),
      },
    })
    expect(await whoami.json()).toEqual({
      organisation: created.organisation,
      key: created.signing.id,
    })
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
