import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOKEN_PATTERN } from '../../src'
import { ERROR_EXIT } from '../../src/cli/exit-codes'
import { shouldRun } from '../helpers/should-run'
import { componentProblems } from '../openapi/validate'
import { type CliResult, keycycle } from './harness'

/** A store the lifecycle runs against: its URL, a fresh prefix, and how to clean up after. */
export interface CliStore {
  name: string
  kind: 'sqlite' | 'postgres' | 'mysql' | 'redis'
  url: string
  /** Table prefix (SQL) or key prefix (Redis), unique to this run. */
  prefix: string
  reachable(): Promise<boolean>
  /** Removes what the run wrote (tables or keys under `prefix`); never anything else. */
  cleanup(): Promise<void>
}

// How far ahead the trial key expires. The steps after its expiry run the binary with its clock
// that much (and a minute) ahead, instead of waiting for it.
const TRIAL_MS = 60 * 60 * 1000
const AFTER_TRIAL_MS = TRIAL_MS + 60_000

/** Runs the whole CLI lifecycle against one store, as a subprocess of the built binary. */
export function describeLifecycle(store: CliStore): void {
  describe(`keycycle CLI on ${store.name}`, async () => {
    const run = await shouldRun(`${store.name} (CLI)`, store.reachable)
    const env = { KEYCYCLE_STORE: store.url, KEYCYCLE_PREFIX: store.prefix }
    const cli = (...args: string[]) => keycycle(args, { env })
    const afterTrial = (...args: string[]) => keycycle(args, { env, laterMs: AFTER_TRIAL_MS })
    const ok = (result: CliResult) => {
      expect(result.status, result.stderr).toBe(0)
      return result.json
    }
    const fails = (result: CliResult, code: keyof typeof ERROR_EXIT) => {
      expect(result.status, result.stderr).toBe(ERROR_EXIT[code])
      expect(result.stdout).toBe('')
      expect(result.error).toMatchObject({ error: code, message: expect.any(String) })
    }
    const conforms = (schema: string, value: unknown) =>
      expect(componentProblems(schema, value)).toEqual([])

    let org = ''
    let keyId = ''
    let firstToken = ''
    let secondToken = ''
    let trial = { id: '', token: '', expiresAt: 0 }

    beforeAll(async () => {
      if (run) await store.cleanup()
    })
    afterAll(async () => {
      if (run) await store.cleanup()
    })

    it.runIf(run)('a prefix the store refuses ends the command at once, naming it', async () => {
      const refused = await keycycle(['org', 'list', '--prefix', '{bad}', '--json'], { env })
      fails(refused, 'validation')
      expect(refused.error.message).toMatch(/prefix: must be/i)
    })

    it.runIf(run)('migrate creates the tables, and again does nothing', async () => {
      const first = ok(await cli('migrate', '--json'))
      expect(first.store).toBe(store.kind)
      if (store.kind !== 'redis') expect(first.applied.length).toBeGreaterThan(0)
      expect(ok(await cli('migrate', '--json')).applied).toEqual([])
    })

    it.runIf(run)(
      'org create prints the organisation and its first key, with the token',
      async () => {
        const created = ok(
          await cli('org', 'create', '--key-name', 'first', '--json', '--show-token'),
        )
        conforms('Organisation', created.organisation)
        conforms('KeyWithToken', created.key)
        expect(created.key).toMatchObject({ name: 'first', type: 'standard', state: 'active' })
        expect(created.key.token).toMatch(TOKEN_PATTERN)
        org = created.organisation.id
        keyId = created.key.id
        firstToken = created.key.token
      },
    )

    it.runIf(run)('org list finds the organisation, and nothing under another prefix', async () => {
      const listed = ok(await cli('org', 'list', '--json'))
      expect(listed).toMatchObject({ resource: 'list', has_more: false })
      expect(listed.data.map((o: { id: string }) => o.id)).toEqual([org])
      conforms('Organisation', listed.data[0])
    })

    it.runIf(run)('an admin creates a trial key that expires in an hour', async () => {
      const created = ok(
        await cli(
          'key',
          'create',
          '--organisation',
          org,
          '--type',
          'trial',
          '--expires',
          `${TRIAL_MS}ms`,
          '--permissions',
          'reports:read',
          '--json',
          '--show-token',
        ),
      )
      conforms('KeyWithToken', created)
      expect(created).toMatchObject({
        type: 'trial',
        permissions: ['reports:read'],
        state: 'active',
      })
      trial = { id: created.id, token: created.token, expiresAt: Date.parse(created.date_expires) }
      expect(trial.expiresAt).toBeGreaterThan(Date.now())
    })

    it.runIf(run)('the organisation may not create trial keys itself', async () => {
      fails(await cli('--org', org, 'key', 'create', '--type', 'trial', '--json'), 'forbidden')
    })

    it.runIf(run)('rotate mints a new token; the old one verifies as retiring', async () => {
      const rotated = ok(await cli('--org', org, 'key', 'rotate', keyId, '--json', '--show-token'))
      conforms('KeyWithToken', rotated)
      secondToken = rotated.token
      expect(secondToken).not.toBe(firstToken)
      expect(rotated.primary.date_retiring_until).not.toBeNull()
      const old = ok(await cli('verify', firstToken, '--json'))
      expect(old).toMatchObject({ ok: true, rotating: true, slot: 'primary' })
      expect(old.grace_ends_at).toBe(rotated.primary.date_retiring_until)
      conforms('Key', old.key)
      const current = ok(
        await keycycle(['verify', '-', '--json'], { env, input: `${secondToken}\n` }),
      )
      expect(current).toMatchObject({ ok: true, rotating: false, grace_ends_at: null })
    })

    it.runIf(run)(
      'deactivate: refused for the last standard key, then allowed, and it stops verifying',
      async () => {
        fails(await cli('--org', org, 'key', 'deactivate', keyId, '--json'), 'lockout')
        const done = ok(
          await cli('--org', org, 'key', 'deactivate', keyId, '--allow-lockout', '--json'),
        )
        expect(done.state).toBe('deactivated')
        const refused = await cli('verify', secondToken, '--json')
        expect(refused.status).toBe(ERROR_EXIT.deactivated)
        expect(refused.json).toMatchObject({ ok: false, code: 'deactivated' })
        const again = await cli('key', 'deactivate', keyId, '--json')
        fails(again, 'invalid_transition')
        expect(again.error.message).toBe(`${keyId} is already deactivated: nothing to deactivate`)
      },
    )

    it.runIf(run)(
      'key usage shows the verifications above by outcome, written when each process closed',
      async () => {
        const usage = ok(await cli('--org', org, 'key', 'usage', keyId, '--json'))
        conforms('KeyUsage', usage)
        expect(usage).toMatchObject({ resource: 'key_usage', key: keyId, granularity: 'hour' })
        expect(usage.totals.success).toBeGreaterThanOrEqual(2)
        expect(usage.totals.deactivated).toBe(1)
        const table = await cli('--org', org, 'key', 'usage', keyId, '--granularity', 'day')
        expect(table.status, table.stderr).toBe(0)
        // stdout is no terminal: a plain table, no bars.
        expect(table.stdout.split('\n')[0]).toMatch(/^start +total +success +deactivated$/)
        expect(table.stdout).not.toContain('█')
      },
    )

    it.runIf(run)('list shows both keys, newest first', async () => {
      const page = ok(await cli('key', 'list', '--organisation', org, '--json'))
      conforms('KeyList', page)
      expect(page.data.map((k: { id: string }) => k.id)).toEqual([trial.id, keyId])
    })

    it.runIf(run)("sweep persists the trial key's expiry once it is due", async () => {
      expect(ok(await cli('sweep', '--json'))).toMatchObject({ expired: 0 })
      const read = ok(await afterTrial('key', 'get', trial.id, '--json'))
      expect(read.state).toBe('expired')
      expect(ok(await afterTrial('sweep', '--json'))).toMatchObject({ expired: 1 })
      expect(ok(await afterTrial('sweep', '--json'))).toMatchObject({ expired: 0 })
      expect(ok(await cli('key', 'get', trial.id, '--json')).state).toBe('expired')
      const refused = await afterTrial('verify', trial.token, '--json')
      expect(refused.status).toBe(ERROR_EXIT.expired)
      expect(refused.json).toMatchObject({ ok: false, code: 'expired' })
    })
  })
}
