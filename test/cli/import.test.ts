import { createHash } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { afterAll, describe, expect, it } from 'vitest'
import { kyselyStore } from '../../adapters/kysely'
import { memoryStore } from '../../adapters/memory'
import { KeycycleError } from '../../src'
import { ERROR_EXIT } from '../../src/cli/exit-codes'
import { type ImportRun, importLines } from '../../src/cli/import-lines'
import { run } from '../../src/cli/program'
import { ADMIN } from '../../src/conformance/fixtures'
import type { ActorHandle } from '../../src/service/handle'
import { createKeycycle } from '../../src/service/keycycle'

// `keycycle key import`: 100,000 lines in process on the memory store (the function the
// command runs), then the command itself end to end on SQLite with a terminal's progress bar.

const sha256 = (text: string, encoding: 'hex' | 'base64') =>
  createHash('sha256').update(text).digest(encoding)
const oldToken = (i: number) => `sk_live_${i}_${sha256(`seed ${i}`, 'hex').slice(0, 24)}`

// Line i (1-based) of a file of n lines: a token, a hex digest or a base64 digest in turn; bad
// lines where `bad` says.
function lineOf(i: number, bad: Map<number, string>): string {
  const fixed = bad.get(i)
  if (fixed !== undefined) return fixed
  const token = oldToken(i)
  if (i % 3 === 0) return JSON.stringify({ token, name: `k${i}` })
  if (i % 3 === 1) return JSON.stringify({ digest: sha256(token, 'hex'), hint: token.slice(-4) })
  return JSON.stringify({ digest: sha256(token, 'base64'), permissions: ['reports:read'] })
}

const BAD = new Map([
  [10, '{"token": '],
  [500, JSON.stringify({ digest: 'abc' })],
  [20_000, JSON.stringify({ token: 'x', digest: sha256('x', 'hex') })],
  [77_777, '[1, 2]'],
  [90_000, ''],
])

async function* linesOf(n: number): AsyncGenerator<string> {
  for (let i = 1; i <= n; i++) yield lineOf(i, BAD)
}

// A handle whose importKey fails with `unavailable` once, at the line whose token is `failAt`'s.
function flaky(handle: ActorHandle, failOn: Set<string>): ActorHandle {
  return {
    ...handle,
    importKey: async (input) => {
      const key = (input.token ?? input.digest) as string
      if (failOn.delete(key)) throw new KeycycleError('unavailable', 'the store did not answer')
      return handle.importKey(input)
    },
  }
}

describe('key import', () => {
  it('imports 100,000 lines, reports bad ones by number, resumes where it stopped, and is idempotent', async () => {
    const store = memoryStore()
    const kc = createKeycycle({ store, importedTokens: true })
    const { organisation } = await kc.createOrganisation()
    const admin = kc.as(ADMIN)
    const n = 100_000
    let progressed = 0
    const base: Omit<ImportRun, 'handle' | 'fromLine'> = {
      lines: linesOf(n),
      organisation: organisation.id,
      concurrency: 8,
      progress: (done) => {
        progressed = done
      },
      rejected: () => {},
    }
    // A store fault at line 60,001 stops the run and says where to resume.
    const failing = new Set([JSON.parse(lineOf(60_001, BAD)).digest as string])
    const first = await importLines({ ...base, handle: flaky(admin, failing), fromLine: 1 })
    expect(first.stopped).toMatchObject({ code: 'unavailable' })
    expect(first.resumeAt).toBe(60_001)
    expect(first.rejected.map((r) => r.line)).toEqual([10, 500, 20_000])
    expect(first.rejected[0]).toMatchObject({
      code: 'validation',
      message: expect.stringMatching(/^not JSON/),
    })
    expect(first.rejected[1]).toMatchObject({
      code: 'validation',
      message: expect.stringMatching(/^digest/),
    })
    // Resumed: the rest, and nothing twice (lines after 60,001 that were in flight are existing).
    const second = await importLines({
      ...base,
      lines: linesOf(n),
      handle: admin,
      fromLine: first.resumeAt!,
    })
    expect(second.stopped).toBeNull()
    expect(second.resumeAt).toBeNull()
    expect(second.rejected.map((r) => r.line)).toEqual([77_777])
    expect(first.created + second.created).toBe(n - BAD.size)
    expect(second.existing).toBeLessThanOrEqual(8)
    expect(progressed).toBe(n - 60_000 - 1)
    // A re-run from the start writes nothing.
    const again = await importLines({ ...base, lines: linesOf(n), handle: admin, fromLine: 1 })
    expect(again).toMatchObject({ created: 0, existing: n - BAD.size, lines: n, resumeAt: null })
    expect(again.rejected.map((r) => r.line)).toEqual([10, 500, 20_000, 77_777])
    expect(store.snapshot().keys).toHaveLength(n - BAD.size + 1)
    for (const i of [3, 4, 5, 99_999]) {
      expect(await kc.verify(oldToken(i))).toMatchObject({ ok: true })
    }
    await kc.close()
  }, 300_000)
})

// The command over a SQLite file, as a terminal runs it.
const file = join(tmpdir(), `keycycle-import-${process.pid}.db`)
const jsonl = join(tmpdir(), `keycycle-import-${process.pid}.jsonl`)
afterAll(() => {
  for (const extra of ['', '-journal', '-wal', '-shm']) rmSync(file + extra, { force: true })
  rmSync(jsonl, { force: true })
})

function cliIo(tty: boolean) {
  const stdout = new PassThrough()
  const stderr = Object.assign(new PassThrough(), tty ? { isTTY: true } : {})
  const text = { out: '', err: '' }
  stdout.on('data', (chunk) => {
    text.out += chunk
  })
  stderr.on('data', (chunk) => {
    text.err += chunk
  })
  return { io: { stdout, stderr, stdin: new PassThrough(), env: {} }, text }
}

describe('keycycle key import on SQLite', () => {
  it('shows progress on a terminal, reports rejected lines, and a re-run creates nothing', async () => {
    const store = `sqlite:${file}`
    expect(await run(['migrate', '--store', store], cliIo(false).io)).toBe(0)
    const created = cliIo(false)
    expect(await run(['org', 'create', '--store', store, '--json'], created.io)).toBe(0)
    const org = JSON.parse(created.text.out).organisation.id as string
    const n = 120
    const bad = new Map([[7, JSON.stringify({ digest: 'not hex' })]])
    writeFileSync(jsonl, `${Array.from({ length: n }, (_, i) => lineOf(i + 1, bad)).join('\n')}\n`)
    const args = ['key', 'import', jsonl, '--store', store, '--organisation', org]
    const tty = cliIo(true)
    expect(await run(args, tty.io)).toBe(ERROR_EXIT.validation)
    expect(tty.text.out).toContain(`created ${n - 1}, existing 0, rejected 1`)
    expect(tty.text.err).toContain('line 7: validation: digest: must be a SHA-256 digest')
    expect(tty.text.err).toContain(`[${'#'.repeat(30)}] ${n}/${n} lines`)
    const piped = cliIo(false)
    expect(await run([...args, '--json'], piped.io)).toBe(ERROR_EXIT.validation)
    expect(JSON.parse(piped.text.out)).toMatchObject({
      created: 0,
      existing: n - 1,
      rejected: [{ line: 7, code: 'validation' }],
      resume_at: null,
    })
    expect(piped.text.err).not.toContain('[#')
    // The imported tokens verify through a service over the same file.
    const sqlite = new Database(file)
    const kc = createKeycycle({
      store: kyselyStore(new Kysely({ dialect: new SqliteDialect({ database: sqlite }) })),
      importedTokens: true,
    })
    expect(await kc.verify(oldToken(3))).toMatchObject({ ok: true })
    expect(await kc.verify(oldToken(5))).toMatchObject({
      ok: true,
      key: { permissions: ['reports:read'] },
    })
    await kc.close()
    sqlite.close()
  }, 120_000)
})
