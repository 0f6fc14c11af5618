import { setTimeout as sleep } from 'node:timers/promises'
import { type Command, Option } from 'commander'
import type { VerifyFailureCode } from '../core/verify-result'
import type { RefusedCredentialCode } from '../http/error-status'
import { presentEffectiveConfig, presentKey } from '../http/wire-out'
import type { Keycycle } from '../service/keycycle'
import { ERROR_EXIT } from './exit-codes'
import { print, recordTable } from './output'
import { type Context, globals, UsageError, withKeycycle, withStore } from './session'
import { parseDuration } from './values'

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** `migrate`: creates or upgrades a SQL store's tables; Redis needs none. */
export function migrateCommand(root: Command, context: Context): void {
  root
    .command('migrate')
    .description("create or upgrade the store's tables (SQL stores; Redis needs none)")
    .action(async (_values: unknown, command: Command) => {
      const options = globals(command, context)
      await withStore(options, async (opened) => {
        const applied = await opened.migrate()
        const text = () =>
          opened.kind === 'redis'
            ? 'redis stores need no migration'
            : applied.length === 0
              ? 'up to date: no migration to apply'
              : applied.join('\n')
        print(context.out, { store: opened.kind, applied }, text)
      })
    })
}

// One sweep: expiry passes until a pass expires fewer keys than its limit.
async function drain(kc: Keycycle, limit: number): Promise<number> {
  let total = 0
  for (;;) {
    const count = await kc.expireDue({ limit })
    total += count
    if (count < limit) return total
  }
}

/** `sweep`: persists due expiries once, or every `--every` until interrupted. */
export function sweepCommand(root: Command, context: Context): void {
  root
    .command('sweep')
    .description('persist due expiries (expireDue) once, or on a schedule with --every')
    .addOption(
      new Option(
        '--every <duration>',
        'sweep again after this long (30s, 5m, 1h), until SIGINT or SIGTERM',
      ).argParser(parseDuration),
    )
    .addOption(
      new Option('--limit <n>', 'keys per expiry pass, 1–1000').default(100).argParser(Number),
    )
    .action(async (values: { every?: number; limit: number }, command: Command) => {
      const options = globals(command, context)
      const stop = new AbortController()
      const interrupt = () => stop.abort()
      process.once('SIGINT', interrupt)
      process.once('SIGTERM', interrupt)
      try {
        await withKeycycle(options, context, async (kc) => {
          do {
            const expired = await drain(kc, values.limit)
            const at = new Date().toISOString()
            print(
              context.out,
              { expired, at },
              () => `${at}  expired ${expired} key${expired === 1 ? '' : 's'}`,
            )
            if (values.every === undefined) return
            await sleep(values.every, undefined, { signal: stop.signal }).catch(() => {})
          } while (!stop.signal.aborted)
        })
      } finally {
        process.off('SIGINT', interrupt)
        process.off('SIGTERM', interrupt)
      }
    })
}

// What a client would be answered for a token that does not verify.
const REFUSED: Record<VerifyFailureCode, RefusedCredentialCode> = {
  malformed: 'unauthorized',
  not_found: 'unauthorized',
  invalid: 'unauthorized',
  deactivated: 'deactivated',
  blocked: 'blocked',
  expired: 'expired',
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = ''
  for await (const chunk of stream) text += String(chunk)
  return text.trim()
}

/** `verify <token>`: the outcome of verifying a token (`-` reads it from stdin). */
export function verifyCommand(root: Command, context: Context): void {
  root
    .command('verify <token>')
    .description('verify a token, as a request would be (`-` reads it from stdin)')
    .action(async (given: string, _values: unknown, command: Command) => {
      const options = globals(command, context)
      const token = given === '-' ? await readAll(context.io.stdin) : given
      if (token === '') throw new UsageError('no token given')
      await withKeycycle(options, context, async (kc) => {
        const result = await kc.verify(token)
        if (!result.ok) {
          const refused = REFUSED[result.code]
          context.exit = ERROR_EXIT[refused]
          const wire = { ok: false, code: result.code, checked_at: iso(result.checkedAt) }
          print(context.out, wire, () => `refused: ${result.code} (a request would get ${refused})`)
          return
        }
        const {
          resource: _,
          key: __,
          ...config
        } = presentEffectiveConfig(result.key.id, result.config)
        const wire = {
          ok: true,
          key: presentKey(result.key),
          slot: result.slot,
          rotating: result.rotating,
          grace_ends_at: iso(result.graceEndsAt),
          checked_at: iso(result.checkedAt),
          config,
        }
        print(context.out, wire, () => {
          const { key, ...rest } = wire
          const { organisation, state } = result.key
          return recordTable({ ...rest, key: result.key.id, organisation, state })
        })
      })
    })
}
