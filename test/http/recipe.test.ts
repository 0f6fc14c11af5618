// docs/recipe-express-postgres.md, run as written: its `server.ts` blocks joined into one file
// and started with tsx (as the guide says) against the local PostgreSQL, under a table prefix
// of its own; then the guide's curl calls, in order, each checked against the answer the guide
// shows; then SIGTERM, after which the server must close everything and exit by itself.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dropPgSpendFunction } from '../../adapters/kysely/pg-spend-function'
import { codeBlocks, markedSection, ROOT, readDoc } from '../helpers/markdown'
import { freePort } from '../helpers/ports'
import { shouldRun } from '../helpers/should-run'
import { type StartedServer, startServer } from './example-server'

const GUIDE = 'docs/recipe-express-postgres.md'
const PG_URL = process.env.KEYCYCLE_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const TABLES = ['usage_hours', 'events', 'keys', 'organisations', 'migrations', 'migrations_lock']

async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 1000 })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

const reachable = await shouldRun('PostgreSQL (the Express + PostgreSQL recipe)', () =>
  withClient(async () => true),
)

describe.runIf(reachable)(`${GUIDE}, as written`, () => {
  const prefix = `kcrecipe_${randomBytes(4).toString('hex')}_`
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    DATABASE_URL: PG_URL,
    KEYCYCLE_PEPPER: randomBytes(32).toString('base64'),
    ADMIN_TOKEN: randomBytes(24).toString('base64'),
    KEYCYCLE_TABLE_PREFIX: prefix,
  }
  let dir = ''
  let port = 0
  let server: StartedServer | undefined
  let exited: Promise<number | null>

  beforeAll(async () => {
    const parts = codeBlocks(readDoc(GUIDE)).filter((b) => b.file === 'server.ts')
    expect(parts.length).toBeGreaterThan(1)
    mkdirSync(join(ROOT, '.tmp'), { recursive: true })
    dir = mkdtempSync(join(ROOT, '.tmp', 'recipe-'))
    writeFileSync(join(dir, 'server.ts'), parts.map((b) => b.code).join('\n'))
    port = await freePort()
    env.PORT = String(port)
    // tsx, as the guide runs it; it compiles on start, so it gets longer than a built server.
    server = await startServer(['--import', 'tsx', 'server.ts'], {
      cwd: dir,
      env,
      timeoutMs: 30_000,
    })
    const { child } = server
    exited = new Promise((resolve) => {
      if (child.exitCode !== null) resolve(child.exitCode)
      else child.once('exit', resolve)
    })
  }, 60_000)

  afterAll(async () => {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL')
    if (dir) rmSync(dir, { recursive: true, force: true })
    await withClient(async (client) => {
      for (const t of TABLES) await client.query(`DROP TABLE IF EXISTS "${prefix}${t}" CASCADE`)
      await client.query(dropPgSpendFunction(prefix))
    })
  })

  it('serves the calls the guide shows, with the answers it shows, then shuts down', async () => {
    const section = markedSection('recipe-calls')
    expect(section.file).toBe(GUIDE)
    const calls = codeBlocks(section.text)
      .filter((b) => b.lang === 'sh')
      .map((b) => b.code)
    expect(calls).toHaveLength(8)
    // biome-ignore lint/suspicious/noExplicitAny: answers are read freely, then matched
    const run = async (block: string): Promise<any> => {
      const script = block.replaceAll('localhost:3000', `localhost:${port}`)
      const { stdout } = await promisify(execFile)('bash', ['-c', script], { env })
      return JSON.parse(stdout)
    }

    const signedUp = await run(calls[0]!)
    expect(signedUp).toEqual({
      organisation: expect.stringMatching(/^org_/),
      key: expect.stringMatching(/^key_/),
      token: expect.stringMatching(/^acme_/),
    })
    env.TOKEN = signedUp.token
    env.KEY = signedUp.key
    const me = { organisation: signedUp.organisation, key: signedUp.key }
    expect(await run(calls[1]!)).toEqual({ ...me, rotating: false })

    const ci = await run(calls[2]!)
    expect(ci).toMatchObject({
      resource: 'key',
      organisation: signedUp.organisation,
      name: 'CI',
      permissions: [],
      version: 1,
      token: expect.stringMatching(/^acme_/),
    })
    env.CI_KEY = ci.id
    env.CI_TOKEN = ci.token
    expect(await run(calls[3]!)).toEqual({
      error: 'forbidden',
      message: 'this API key lacks the permission reports:read',
      params: { permission: 'reports:read' },
    })
    expect(await run(calls[4]!)).toMatchObject({
      id: ci.id,
      permissions: ['reports:*'],
      modified_by: 'admin:ops',
      version: 2,
    })
    expect(await run(calls[5]!)).toEqual({ reports: [] })

    const rotated = await run(calls[6]!)
    expect(rotated).toMatchObject({ id: signedUp.key, token: expect.stringMatching(/^acme_/) })
    expect(rotated.primary.date_retiring_until).toEqual(expect.any(String))
    expect(await run(calls[7]!)).toEqual({ ...me, rotating: true })

    // The migration and the store used the one prefix the guide passes to both.
    const keys = await withClient((c) => c.query(`SELECT count(*)::int AS n FROM "${prefix}keys"`))
    expect(keys.rows[0].n).toBe(2)

    // A wrong shutdown order hangs (the pool's end waits for the change channel's connection).
    server!.child.kill('SIGTERM')
    const hung = new Promise((resolve) => {
      setTimeout(resolve, 15_000, 'still running 15 s after SIGTERM').unref()
    })
    expect(await Promise.race([exited, hung])).toBe(0)
    expect(server!.output()).toContain('SIGTERM: shutting down')
    expect(server!.output().trimEnd().endsWith('closed')).toBe(true)
  })
})
