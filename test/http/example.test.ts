import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort } from '../helpers/ports'

const ROOT = join(import.meta.dirname, '../..')

// The curl blocks of the README's seed section, in order, exactly as a reader copies them.
function seedCalls(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = readme.split('<!-- seed-calls:start -->')[1]!.split('<!-- seed-calls:end -->')[0]!
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!)
}

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

    const calls = seedCalls()
    expect(calls).toHaveLength(7)
    const shellEnv: Record<string, string> = { ...process.env, KEYCYCLE_TOKEN: token! } as Record<
      string,
      string
    >
    const run = (block: string) =>
      JSON.parse(
        execFileSync('bash', ['-c', block.replaceAll('localhost:3000', `localhost:${port}`)], {
          env: shellEnv,
          encoding: 'utf8',
        }),
      )

    const created = run(calls[0]!)
    expect(created).toMatchObject({
      resource: 'key',
      storage_config: 2,
      token: expect.stringMatching(/^kc_/),
    })
    shellEnv.KEY_ID = created.id
    const read = run(calls[1]!)
    expect(read).toMatchObject({ id: created.id, storage_config: 2 })
    expect(read).not.toHaveProperty('token')
    expect(run(calls[2]!)).toMatchObject({
      resource: 'list',
      url: '/keys',
      data: expect.any(Array),
    })
    expect(run(calls[3]!)).toMatchObject({ id: created.id, webhook_config: 2, version: 2 })
    const rotated = run(calls[4]!)
    expect(rotated.token).toMatch(/^kc_/)
    expect(rotated.primary.date_retiring_until).not.toBeNull()
    const regenerated = run(calls[5]!)
    expect(regenerated.apiKey).toMatchObject({
      apiKeyId: created.id,
      primaryKey: expect.stringMatching(/^kc_/),
      domainCode: 'PUB',
    })
    expect(run(calls[6]!)).toMatchObject({ organisation: created.organisation })
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
