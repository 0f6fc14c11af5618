import { setTimeout as sleep } from 'node:timers/promises'
import type { VerifyFailureCode } from '../core/verify-result'
import type { RefusedCredentialCode } from '../http/error-status'
import { presentEffectiveConfig, presentKey } from '../http/wire-out'
import type { Keycycle } from '../service/keycycle'
import { UsageError } from './cli-errors'
import type { CommandSpec } from './command-line'
import { ERROR_EXIT } from './exit-codes'
import { print, recordTable } from './output'
import { type Context, globals, withKeycycle, withStore } from './session'
import { parseDuration } from './values'

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** `migrate`: creates or upgrades a SQL store's tables; Redis needs none. */
export function migrateCommand(context: Context): CommandSpec {
  return {
    name: 'migrate',
    summary: "create or upgrade the store's tables (SQL stores; Redis needs none)",
    run: async ({ values }) => {
      const options = globals(values, context)
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
    },
  }
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
export function sweepCommand(context: Context): CommandSpec {
  return {
    name: 'sweep',
    summary: 'persist due expiries (expireDue) once, or on a schedule with --every',
    options: [
      {
        name: 'every',
        placeholder: '<duration>',
        description: 'sweep again after this long (30s, 5m, 1h), until SIGINT or SIGTERM',
        parse: parseDuration,
      },
      {
        name: 'limit',
        placeholder: '<n>',
        description: 'keys per expiry pass, 1–1000',
        default: 100,
        parse: Number,
      },
    ],
    run: async ({ values }) => {
      const options = globals(values, context)
      const { every, limit } = values as { every?: number; limit: number }
      const stop = new AbortController()
      const interrupt = () => stop.abort()
      process.once('SIGINT', interrupt)
      process.once('SIGTERM', interrupt)
      try {
        await withKeycycle(options, context, async (kc) => {
          do {
            const expired = await drain(kc, limit)
            const at = new Date().toISOString()
            print(
              context.out,
              { expired, at },
              () => `${at}  expired ${expired} key${expired === 1 ? '' : 's'}`,
            )
            if (every === undefined) return
            await sleep(every, undefined, { signal: stop.signal }).catch(() => {})
          } while (!stop.signal.aborted)
        })
      } finally {
        process.off('SIGINT', interrupt)
        process.off('SIGTERM', interrupt)
      }
    },
  }
}

// What a client would be answered for a token that does not verify.
const REFUSED: Record<VerifyFailureCode, RefusedCredentialCode> = {
  malformed: 'unauthorized',
  not_found: 'unauthorized',
  invalid: 'unauthorized',
  stale_signature: 'unauthorized',
  replayed: 'unauthorized',
  deactivated: 'deactivated',
  blocked: 'blocked',
  expired: 'expired',
  ip_forbidden: 'ip_forbidden',
  insufficient_permissions: 'insufficient_permissions',
  rate_limited: 'rate_limited',
  credits_exhausted: 'credits_exhausted',
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = ''
  for await (const chunk of stream) text += String(chunk)
  return text.trim()
}

/** `verify <token>`: the outcome of verifying a token (`-` reads it from stdin). */
export function verifyCommand(context: Context): CommandSpec {
  return {
    name: 'verify',
    args: ['<token>'],
    summary: 'verify a token, as a request would be (`-` reads it from stdin)',
    run: async ({ args: [given], values }) => {
      const options = globals(values, context)
      const token = given === '-' ? await readAll(context.io.stdin) : given!
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
    },
  }
}
