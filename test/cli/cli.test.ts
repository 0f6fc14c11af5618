import { spawn } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStore } from '../../adapters/memory'
import { createKeycycle, TOKEN_PATTERN } from '../../src'
import { type CommandSpec, parseCommandLine } from '../../src/cli/command-line'
import { ERROR_EXIT, EXIT } from '../../src/cli/exit-codes'
import { flagFor, inputFromFlags, schemaFlags } from '../../src/cli/flags'
import { recordTable } from '../../src/cli/output'
import type { KeyPatch } from '../../src/core/inputs'
import { KEY_FIELDS } from '../../src/core/schema'
import { presentKey } from '../../src/http/wire-out'
import { markedSection } from '../helpers/markdown'
import { componentProblems } from '../openapi/validate'
import { CLI, type CliResult, keycycle } from './harness'
import { sqliteStore } from './stores'

// Everything about the binary that does not depend on the store, on SQLite. The lifecycle over
// every store is in the per-store files.

const ROOT = join(import.meta.dirname, '../..')
const store = sqliteStore()
const env = { KEYCYCLE_STORE: store.url }
const cli = (...args: string[]) => keycycle(args, { env })

function status(result: CliResult, expected: number) {
  expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(expected)
  return result
}

let org = ''
let keyId = ''

beforeAll(async () => {
  status(await cli('migrate'), 0)
  const created = status(await cli('org', 'create', '--json', '--show-token'), 0).json
  org = created.organisation.id
  keyId = created.key.id
})
afterAll(() => store.cleanup())

describe('the keycycle binary', () => {
  it('sign prints the three headers of NCP signature v2, as Python computes them', async () => {
    // The vector of test/core/request-signature.test.ts (Python's hmac and base64).
    const target = '/api/v1//api-keys/key_01JD0000000000000000000000'
    const args = ['sign', 'PATCH', target, '--access-key', 'key_01JD0000000000000000000000']
    const token = 'kc_01JD0000000000000000000000_abcdefghijabcdefghijabcdefghijabcdefghi123456'
    const signed = status(await cli(...args, '--token', token, '--timestamp', '1732480000000'), 0)
    expect(signed.stdout).toBe(
      'x-ncp-apigw-timestamp: 1732480000000\n' +
        'x-ncp-iam-access-key: key_01JD0000000000000000000000\n' +
        'x-ncp-apigw-signature-v2: mEMzhYkhQXELqIA4SR/QjS/r2oMjOJWdORKnbWLe/ro=\n',
    )
    expect(status(await cli('sign', 'GET', '/'), EXIT.usage).stderr).toContain('--token')
  })

  it('prints help with the exit statuses, and its version', async () => {
    const help = status(await cli('--help'), 0)
    for (const command of ['migrate', 'org', 'key', 'sweep', 'verify']) {
      expect(help.stdout).toContain(command)
    }
    for (const [code, exit] of Object.entries(ERROR_EXIT)) {
      expect(help.stdout).toMatch(new RegExp(`^ +${exit} +${code}$`, 'm'))
    }
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
    expect(status(await cli('--version'), 0).stdout.trim()).toBe(pkg.version)
    const keyHelp = status(await cli('key', 'create', '--help'), 0).stdout
    expect(keyHelp).toMatch(/--expires, --expires-at <when>/)
    expect(keyHelp).toMatch(/--type <standard\|trial>\s+Trial keys .* Admin only\./)
    expect(status(await cli('help', 'key', 'create'), 0).stdout).toBe(keyHelp)
  })

  it('states who acts in the help, and what an admin must pass', async () => {
    for (const args of [['--help'], ['key', '--help']]) {
      const help = status(await cli(...args), 0).stdout
      expect(help).toMatch(/^Who acts:$/m)
      expect(help).toMatch(/--admin <id> +an API administrator: the default, "cli"/)
      expect(help).toMatch(/key create and key list\s+need --organisation <org_id>/)
      expect(help).toMatch(/--org <id> +that organisation instead/)
    }
    for (const command of ['create', 'list']) {
      const help = status(await cli('key', command, '--help'), 0).stdout
      expect(help).toMatch(/an admin \(the default actor\) names it with --organisation <org_id>/)
      expect(help).toContain('keycycle --help says who acts')
    }
    // A group named without its command: the group's help, on stderr, and a usage status.
    const incomplete = status(await cli('key'), EXIT.usage)
    expect(incomplete.stdout).toBe('')
    expect(incomplete.stderr).toMatch(/^Usage: keycycle key \[options\] <command>$/m)
    expect(incomplete.stderr).toMatch(/^ +list +list keys, newest first/m)
  })

  it('an admin listing keys without --organisation is told exactly what to pass', async () => {
    for (const command of ['list', 'create']) {
      const refused = status(await cli('key', command, '--json'), ERROR_EXIT.validation)
      expect(refused.stdout).toBe('')
      expect(refused.error).toEqual({
        error: 'validation',
        message:
          '--organisation: required when an admin acts: pass --organisation <org_id> (keycycle org list shows them), or act as that organisation with --org <org_id>',
        params: { field: '--organisation' },
      })
    }
    const text = status(await cli('org', 'get'), ERROR_EXIT.validation)
    expect(text.stderr).toMatch(/give its ID: keycycle org get <org_id> \(keycycle org list/)
    // Both ways the message offers work.
    const named = status(await cli('key', 'list', '--organisation', org, '--json'), 0).json
    const own = status(await cli('--org', org, 'key', 'list', '--json'), 0).json
    expect(named.data.map((k: { id: string }) => k.id)).toContain(keyId)
    expect(own.data).toEqual(named.data)
  })

  it('org list shows the organisations newest first, a page at a time', async () => {
    const created = []
    for (let i = 0; i < 2; i++) {
      created.push(status(await cli('org', 'create', '--json'), 0).json.organisation.id as string)
    }
    const all = status(await cli('org', 'list', '--json', '--limit', '100'), 0).json
    expect(all).toMatchObject({ resource: 'list', has_more: false })
    const ids = all.data.map((o: { id: string }) => o.id) as string[]
    expect(ids).toEqual([...ids].sort().reverse())
    expect(ids.slice(0, 2)).toEqual([created[1], created[0]])
    expect(ids).toContain(org)
    for (const organisation of all.data) {
      expect(componentProblems('Organisation', organisation)).toEqual([])
    }
    const first = status(await cli('org', 'list', '--limit', '1'), 0)
    expect(first.stdout.split('\n')[0]).toMatch(
      /^id +storage_config +webhook_config +date_created$/,
    )
    expect(first.stdout).toMatch(new RegExp(`^${created[1]} `, 'm'))
    expect(first.stderr).toContain(`more organisations follow: add --starting-after ${created[1]}`)
    const next = status(
      await cli('org', 'list', '--limit', '1', '--starting-after', created[1]!, '--json'),
      0,
    ).json
    expect(next.data.map((o: { id: string }) => o.id)).toEqual([created[0]])
    status(await cli('org', 'list', '--limit', '0'), EXIT.usage)
    status(await cli('org', 'list', '--starting-after', 'key_nope'), EXIT.usage)
  })

  it('says a key is already in the state a command asks for, not that the actor may not', async () => {
    const { json: created } = status(await cli('org', 'create', '--json'), 0)
    const { organisation: own, key } = created
    status(await cli('key', 'deactivate', key.id, '--allow-lockout'), 0)
    for (const actor of [[], ['--org', own.id]]) {
      const again = status(
        await cli(...actor, 'key', 'deactivate', key.id, '--json'),
        ERROR_EXIT.invalid_transition,
      )
      expect(again.error).toEqual({
        error: 'invalid_transition',
        message: `${key.id} is already deactivated: nothing to deactivate`,
        params: {},
      })
    }
    status(await cli('key', 'block', key.id), 0)
    const blocked = status(await cli('key', 'activate', key.id), ERROR_EXIT.invalid_transition)
    expect(blocked.stderr).toBe(
      `keycycle: invalid_transition: cannot activate ${key.id}: it is blocked, and activate takes deactivated keys\n`,
    )
  })

  it('exits 2 for usage errors, before touching the store', async () => {
    status(await cli('frobnicate'), EXIT.usage)
    status(await cli('key', 'get'), EXIT.usage)
    status(await cli('key', 'create', '--expires', 'soonish'), EXIT.usage)
    status(await cli('key', 'rotate', keyId, '--slot', 'tertiary'), EXIT.usage)
    status(await cli('key', 'update', keyId, '--publish-source-files', 'maybe'), EXIT.usage)
    status(await cli('--admin', 'a', '--org', org, 'key', 'list'), EXIT.usage)
    const noStore = status(await keycycle(['key', 'list', '--json']), EXIT.usage)
    expect(noStore.error).toMatchObject({
      error: 'usage',
      message: expect.stringMatching(/--store/),
    })
    const badUrl = status(await cli('--store', 'ftp://x', 'migrate'), EXIT.usage)
    expect(badUrl.stderr).toMatch(/sqlite:<file>, postgres:\/\/…, mysql:\/\/… or redis:\/\//)
  })

  it('reports a usage error in the words of the command line, as JSON with --json', async () => {
    const unknown = status(await cli('key', 'list', '--bogus'), EXIT.usage)
    expect(unknown.stderr).toBe(
      "keycycle: usage: unknown option '--bogus'\n(keycycle key list --help shows its usage)\n",
    )
    const json = status(
      await cli('key', 'rotate', keyId, '--slot', 'tertiary', '--json'),
      EXIT.usage,
    )
    expect(json.error).toEqual({
      error: 'usage',
      message: "option '--slot' argument 'tertiary' is invalid: expected one of primary, secondary",
      params: {},
    })
    const both = status(await cli('--admin', 'a', '--org', org, 'key', 'list'), EXIT.usage)
    expect(both.stderr).toMatch(/option '--org' cannot be used with option '--admin'/)
    // An optional value: alone it is `true`; the next word is its value unless it is an option.
    const id = status(await cli('org', 'create', '--json'), 0).json.key.id
    const on = status(await cli('key', 'update', id, '--publish-source-files', '--json'), 0).json
    expect(on.config).toEqual({ publish_source_files: true })
    const off = status(await cli('key', 'update', id, '--publish-source-files=false', '--json'), 0)
    expect(off.json.config).toEqual({ publish_source_files: false })
  })

  it('exits with the status of the error code, and --json reports the error body naming the flag', async () => {
    const past = status(
      await cli(
        'key',
        'create',
        '--organisation',
        org,
        '--expires',
        '2020-01-01T00:00:00Z',
        '--json',
      ),
      ERROR_EXIT.validation,
    )
    expect(past.stdout).toBe('')
    expect(past.error).toEqual({
      error: 'validation',
      message: '--expires-at: must be in the future',
      params: { field: '--expires-at' },
    })
    const missing = status(await cli('key', 'create', '--json'), ERROR_EXIT.validation)
    expect(missing.error.params).toEqual({ field: '--organisation' })
    status(await cli('key', 'get', 'key_nope'), ERROR_EXIT.not_found)
    const lockout = status(await cli('--org', org, 'key', 'deactivate', keyId), ERROR_EXIT.lockout)
    expect(lockout.stderr).toMatch(/pass --allow-lockout/)
    status(await cli('--org', org, 'key', 'block', keyId), ERROR_EXIT.forbidden)
    const verify = status(await cli('verify', 'kc_nope', '--json'), ERROR_EXIT.unauthorized)
    expect(verify.json).toMatchObject({ ok: false, code: 'malformed' })
  })

  it('prints a minted token only with --show-token when stdout is not a terminal, and says how to get one', async () => {
    const created = status(await cli('key', 'create', '--organisation', org, '--json'), 0)
    expect(created.json).not.toHaveProperty('token')
    expect(componentProblems('Key', created.json)).toEqual([])
    expect(created.stderr).toContain('--show-token')
    expect(created.stderr).toContain(
      `keycycle key regenerate ${created.json.id} --slot primary --show-token`,
    )
    const org2 = status(await cli('org', 'create', '--json'), 0)
    expect(org2.json.key).not.toHaveProperty('token')
    expect(org2.stdout).not.toMatch(TOKEN_PATTERN)
    const table = status(await cli('key', 'rotate', created.json.id), 0)
    expect(table.stdout).not.toMatch(TOKEN_PATTERN)
    const shown = status(await cli('key', 'rotate', created.json.id, '--force', '--show-token'), 0)
    expect(shown.stdout).toMatch(new RegExp(`^token +${TOKEN_PATTERN.source}$`, 'm'))
    expect(shown.stderr).toContain('never shown again')
  })

  it('runs every key command, with values typed from the field schema', async () => {
    const { json: key } = status(
      await cli(
        'key',
        'create',
        '--organisation',
        org,
        '--name',
        'ci',
        '--storage-config',
        '2',
        '--json',
      ),
      0,
    )
    expect(key).toMatchObject({ name: 'ci', storage_config: 2 })
    const id = key.id as string
    const updated = status(
      await cli(
        'key',
        'update',
        id,
        '--storage-config',
        'null',
        '--webhook-config',
        'eu-1',
        '--publish-source-files',
        '--json',
      ),
      0,
    ).json
    expect(updated).toMatchObject({
      storage_config: null,
      webhook_config: 'eu-1',
      config: { publish_source_files: true },
    })
    status(await cli('key', 'update', id), EXIT.usage)
    const regenerated = status(
      await cli('key', 'regenerate', id, '--slot', 'secondary', '--json', '--show-token'),
      0,
    ).json
    expect(regenerated.secondary).not.toBeNull()
    expect(regenerated.token).toMatch(TOKEN_PATTERN)
    expect(status(await cli('key', 'block', id, '--json'), 0).json.state).toBe('blocked')
    expect(status(await cli('key', 'unblock', id, '--json'), 0).json.state).toBe('active')
    expect(status(await cli('key', 'deactivate', id, '--json'), 0).json.state).toBe('deactivated')
    expect(status(await cli('--org', org, 'key', 'activate', id, '--json'), 0).json.state).toBe(
      'active',
    )
    const own = status(await cli('--org', org, 'org', 'get', '--json'), 0).json
    expect(componentProblems('Organisation', own)).toEqual([])
    const listed = status(await cli('--org', org, 'key', 'list', '--limit', '2'), 0)
    expect(listed.stdout.split('\n')[0]).toMatch(/^id +type +state +name +date_created/)
    expect(listed.stderr).toMatch(/more keys follow: add --starting-after key_/)
    const shown = status(await cli('key', 'get', id), 0).stdout
    expect(shown).toMatch(new RegExp(`^id +${id}$`, 'm'))
    expect(shown).toMatch(/^config\.publish_source_files +true$/m)
  })

  it('key delete calls the service’s deleteKey, or says this version has none', async () => {
    const { json: key } = status(await cli('key', 'create', '--organisation', org, '--json'), 0)
    const handle = createKeycycle({ store: memoryStore() }).asAdmin('probe')
    const result = await cli('key', 'delete', key.id, '--json')
    if (typeof (handle as { deleteKey?: unknown }).deleteKey === 'function') {
      expect(status(result, 0).json).toEqual({ id: key.id, deleted: true })
      status(await cli('key', 'get', key.id), ERROR_EXIT.not_found)
    } else {
      status(result, EXIT.unsupported)
      expect(result.error).toMatchObject({ error: 'unsupported' })
      expect(result.error.message).toMatch(/not supported by this version/)
    }
  })

  it('sweep --every sweeps on a schedule until SIGINT, then exits 0', async () => {
    const child = spawn(process.execPath, [CLI, 'sweep', '--every', '200ms', '--json'], {
      env: { ...process.env, ...env },
    })
    let stdout = ''
    const lines = new Promise<void>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        stdout += chunk
        if (stdout.split('\n').length > 2) resolve()
      })
    })
    await lines
    child.kill('SIGINT')
    const code = await new Promise((resolve) => child.on('close', resolve))
    expect(code).toBe(0)
    const passes = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(passes.length).toBeGreaterThanOrEqual(2)
    expect(passes[0]).toEqual({ expired: 0, at: expect.any(String) })
  })
})

describe('usage control on the command line', () => {
  // The flags as `key update` derives them from the schema, read as the binary reads them.
  const flags = schemaFlags(KEY_FIELDS, 'patch')
  const command: CommandSpec = {
    name: 'update',
    summary: 'test',
    options: flags.map((f) => f.option),
    run: async () => {},
  }
  function input(...argv: string[]) {
    const parsed = parseCommandLine(command, argv, {})
    if (parsed.kind !== 'run') throw new Error('not a run')
    return inputFromFlags(flags, parsed.call.values)
  }

  it('reads --credits, --credits-refill, a repeated --rate-limit and --allowed-ips as the schema’s input', () => {
    expect(input('--credits', '100')).toEqual({ credits: { remaining: 100 } })
    expect(
      input(
        '--credits=0',
        '--credits-refill',
        '1000/1h',
        '--rate-limit',
        'api:100/60s',
        '--rate-limit',
        'shared:5000/1d:organisation',
        '--rate-limit',
        'burst:10/1500',
        '--allowed-ips',
        '10.0.0.0/8,192.0.2.1',
      ),
    ).toEqual({
      credits: { remaining: 0, refill: { amount: 1000, intervalMs: 3_600_000 } },
      rateLimits: [
        { name: 'api', limit: 100, windowMs: 60_000 },
        { name: 'shared', limit: 5000, windowMs: 86_400_000, scope: 'organisation' },
        { name: 'burst', limit: 10, windowMs: 1500 },
      ],
      allowedIps: ['10.0.0.0/8', '192.0.2.1'],
    })
    expect(input('--credits-refill', '50/30d')).toEqual({
      credits: { refill: { amount: 50, intervalMs: 30 * 86_400_000 } },
    })
  })

  it('clears with null, and --rate-limit none is the empty list', () => {
    expect(input('--credits', 'null', '--allowed-ips', 'null')).toEqual({
      credits: null,
      allowedIps: null,
    })
    expect(input('--credits-refill', 'null')).toEqual({ credits: { refill: null } })
    expect(input('--rate-limit', 'null')).toEqual({ rateLimits: null })
    expect(input('--rate-limit', 'none')).toEqual({ rateLimits: [] })
  })

  it('refuses what it cannot read, saying what it expected', () => {
    for (const [argv, message] of [
      [['--rate-limit', 'api:100'], /expected name:limit\/window\[:organisation\]/],
      [['--rate-limit', 'api:ten/1s'], /expected the limit as a whole number/],
      [['--rate-limit', 'api:10/1s:global'], /expected the scope key or organisation/],
      [['--rate-limit', 'api:10/soon'], /expected a duration/],
      [['--rate-limit', 'none', '--rate-limit', 'api:1/1s'], /none and null stand alone/],
      [['--credits', '-5'], /expected the balance as a whole number/],
      [['--credits-refill', '1000'], /expected amount\/interval/],
      [
        ['--credits', 'null', '--credits-refill', '1/1d'],
        /--credits-refill cannot be given with --credits null/,
      ],
    ] as const) {
      expect(() => input(...argv), argv.join(' ')).toThrow(message)
    }
  })

  it('names the flag of a field the service refuses, and the part of it', () => {
    expect(flagFor(flags, 'rateLimits[2].windowMs')).toEqual({
      flag: '--rate-limit',
      rest: '[2].windowMs',
    })
    expect(flagFor(flags, 'credits.refill.intervalMs')).toEqual({
      flag: '--credits-refill',
      rest: 'intervalMs',
    })
    expect(flagFor(flags, 'credits.remaining')).toEqual({ flag: '--credits', rest: 'remaining' })
    expect(flagFor(flags, 'allowedIps[1]')).toEqual({ flag: '--allowed-ips', rest: '[1]' })
    expect(flagFor(flags, 'config.publishSourceFiles')).toEqual({
      flag: '--publish-source-files',
      rest: '',
    })
  })

  it('prints them as the management API shows them, a list of records row by row', async () => {
    const kc = createKeycycle({ store: memoryStore() })
    const { key } = await kc.createOrganisation()
    const updated = await kc
      .asAdmin('cli')
      .updateKey(
        key.id,
        input(
          '--credits',
          '5',
          '--rate-limit',
          'api:100/60s',
          '--allowed-ips',
          '10.0.0.0/8',
        ) as KeyPatch,
      )
    const table = recordTable(presentKey(updated))
    expect(table).toMatch(/^rate_limits\[0\]\.name +api$/m)
    expect(table).toMatch(/^rate_limits\[0\]\.window_ms +60000$/m)
    expect(table).toMatch(/^rate_limits\[0\]\.scope +key$/m)
    expect(table).toMatch(/^credits\.remaining +5$/m)
    expect(table).toMatch(/^credits\.refill +-$/m)
    expect(table).toMatch(/^allowed_ips +10\.0\.0\.0\/8$/m)
    const none = await kc
      .asAdmin('cli')
      .updateKey(key.id, input('--rate-limit', 'none') as KeyPatch)
    expect(recordTable(presentKey(none))).toMatch(/^rate_limits +none$/m)
    await kc.close()
  })

  it('in the binary: help, setting and clearing them on SQLite, usage errors before the store, refusals naming the flag', async () => {
    const help = status(await cli('key', 'update', '--help'), 0).stdout
    expect(help).toMatch(/--rate-limit <name:limit\/window\[:organisation\]>/)
    expect(help).toMatch(/--credits <remaining>/)
    expect(help).toMatch(/--credits-refill <amount\/interval>/)
    expect(help).toMatch(/--allowed-ips <a,b,…>/)
    expect(status(await cli('org', 'create', '--help'), 0).stdout).toMatch(/--rate-limit </)
    status(await cli('key', 'update', keyId, '--rate-limit', 'api'), EXIT.usage)
    const short = status(
      await cli('key', 'update', keyId, '--rate-limit', 'api:100/10ms', '--json'),
      ERROR_EXIT.validation,
    )
    expect(short.error).toEqual({
      error: 'validation',
      message: '--rate-limit [0].windowMs: must be an integer from 1000 to 86400000',
      params: { field: '--rate-limit' },
    })
    const first = status(
      await cli('key', 'update', keyId, '--credits-refill', '10/1d', '--json'),
      ERROR_EXIT.validation,
    )
    expect(first.error.params).toEqual({ field: '--credits' })
    const { json: set } = status(
      await cli(
        'key',
        'update',
        keyId,
        '--credits',
        '100',
        '--credits-refill',
        '100/1d',
        '--rate-limit',
        'api:100/60s',
        '--allowed-ips',
        '10.0.0.0/8',
        '--json',
      ),
      0,
    )
    expect(set).toMatchObject({
      credits: { remaining: 100, refill: { amount: 100, interval_ms: 86_400_000 } },
      rate_limits: [{ name: 'api', limit: 100, window_ms: 60_000, scope: 'key' }],
      allowed_ips: ['10.0.0.0/8'],
    })
    const cleared = status(
      await cli(
        'key',
        'update',
        keyId,
        '--credits',
        'null',
        '--rate-limit',
        'none',
        '--allowed-ips',
        'null',
        '--json',
      ),
      0,
    ).json
    expect(cleared).toMatchObject({ credits: null, rate_limits: [], allowed_ips: null })
    const own = await cli('--org', org, 'key', 'update', keyId, '--credits', '5', '--json')
    status(own, ERROR_EXIT.forbidden)
    expect(own.error.params).toEqual({ field: '--credits' })
  })
})

describe('the documentation', () => {
  it('states the exit statuses as the binary has them', () => {
    const table = markedSection('exit-codes').text
    const rows = [...(table ?? '').matchAll(/^\| (\d+) \| (.+) \|$/gm)].map(([, status, what]) => [
      Number(status),
      what!,
    ])
    const expected = [
      ...Object.values(EXIT).map((status) => [status, expect.any(String)]),
      ...Object.entries(ERROR_EXIT).map(([code, status]) => [
        status,
        expect.stringMatching(new RegExp(`^\`${code}\``)),
      ]),
    ]
    expect(rows).toEqual(expected)
  })
})

describe('drivers are optional peers', () => {
  let dir = ''
  let bin = ''

  beforeAll(() => {
    // The package as installed without any driver: dist/, package.json, and only the runtime
    // dependencies beside it.
    dir = mkdtempSync(join(tmpdir(), 'keycycle-nodrivers-'))
    const pkg = join(dir, 'node_modules', 'keycycle')
    mkdirSync(pkg, { recursive: true })
    cpSync(join(ROOT, 'dist'), join(pkg, 'dist'), { recursive: true })
    cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'))
    const { dependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
    for (const name of Object.keys(dependencies)) {
      mkdirSync(join(dir, 'node_modules', name, '..'), { recursive: true })
      symlinkSync(join(ROOT, 'node_modules', name), join(dir, 'node_modules', name))
    }
    bin = join(pkg, 'dist', 'cli.js')
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  const run = (store: string) =>
    new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [bin, '--store', store, 'migrate'], { cwd: dir })
      let stderr = ''
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk
      })
      child.on('close', (status) => resolve({ status, stderr }))
    })

  it('names only the package missing when the others are installed', async () => {
    symlinkSync(join(ROOT, 'node_modules', 'kysely'), join(dir, 'node_modules', 'kysely'))
    try {
      const result = await run('sqlite:x.db')
      expect(result.status, result.stderr).toBe(EXIT.missingDriver)
      expect(result.stderr).toBe(
        'keycycle: missing_driver: a sqlite store needs the package better-sqlite3, which is not installed: npm install better-sqlite3\n',
      )
    } finally {
      rmSync(join(dir, 'node_modules', 'kysely'))
    }
  })

  it('starts without them, and names the packages a store URL needs', async () => {
    const cases: [string, RegExp][] = [
      ['sqlite:x.db', /npm install kysely better-sqlite3/],
      ['postgres://127.0.0.1/x', /npm install kysely pg/],
      ['mysql://127.0.0.1/x', /npm install kysely mysql2/],
      ['redis://127.0.0.1:1', /npm install ioredis/],
    ]
    for (const [url, message] of cases) {
      const result = await run(url)
      expect(result.status, result.stderr).toBe(EXIT.missingDriver)
      expect(result.stderr).toMatch(message)
    }
  })
})
