import type { Digests } from '../core/digest'
import { KeycycleError } from '../core/errors'
import { findLeakedToken, noteLeak, revokeLeakedToken } from '../core/leaks'
import { type LeakMatch, MAX_LEAK_REPORT_MATCHES } from '../core/secret-scanning'
import { type ParsedToken, parseToken } from '../core/token'
import type { KeyRecord, Slot, SystemActor } from '../core/types'
import { readEnum, readObject } from '../core/validate'
import type { KeyStore } from '../store'
import type { Now } from './deps'
import type { LeakOutcome } from './events'
import type { MutateKey } from './mutate-key'
import { presentedSecret } from './verify/presented-secret'

/** What a true positive does: `revoke` stops the token at once; `notify` only reports it. */
export type LeakPolicy = 'revoke' | 'notify'

/** Options of `reportLeaks`. */
export interface ReportLeaksOptions {
  /** Default `revoke`. */
  policy?: LeakPolicy
}

/** What keycycle made of one reported match, in the order of the matches. */
export type LeakVerdict =
  | { label: 'false_positive' }
  | {
      label: 'true_positive'
      keyId: string
      slot: Slot
      which: 'current' | 'retiring'
      outcome: LeakOutcome
    }

/** What the leak reports are built from. */
export interface LeakReportDeps {
  store: KeyStore
  now: Now
  digests: Digests
  prefix: string
  mutateKey: MutateKey
}

/** Reads and writes under way at once: the port has no multi-get, so reads run side by side. */
const CONCURRENCY = 16
const SYSTEM: SystemActor = { kind: 'system' }
const FALSE_POSITIVE: LeakVerdict = Object.freeze({ label: 'false_positive' })

// Runs `work` over `items`, at most `limit` at a time.
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
) {
  let next = 0
  const lane = async () => {
    while (next < items.length) await work(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane))
}

function readMatches(matches: unknown): LeakMatch[] {
  if (!Array.isArray(matches) || matches.length > MAX_LEAK_REPORT_MATCHES) {
    throw new KeycycleError(
      'validation',
      `matches: must be a list of at most ${MAX_LEAK_REPORT_MATCHES}`,
      {
        details: { field: 'matches' },
      },
    )
  }
  return matches.map((match: unknown, i) => {
    const m = match as Partial<LeakMatch> | null
    const text = (v: unknown) => v === undefined || v === null || typeof v === 'string'
    if (
      typeof m?.token !== 'string' ||
      typeof m.type !== 'string' ||
      !text(m.url) ||
      !text(m.source)
    ) {
      throw new KeycycleError('validation', `matches[${i}]: needs a string token and type`, {
        details: { field: `matches[${i}]` },
      })
    }
    return { token: m.token, type: m.type, url: m.url ?? null, source: m.source ?? null }
  })
}

/**
 * Handles reported token leaks: see `Keycycle.reportLeaks`. Reads each distinct key once,
 * side by side (the port has no multi-get), classifies every match against what was read, and
 * writes only for true positives: one compare-and-set per match, which decides again on the
 * record it reads, so a token rotated out meanwhile is a false positive after all.
 */
export function leakReports(deps: LeakReportDeps) {
  const { store, now, digests, prefix, mutateKey } = deps
  return async (input: unknown, options?: ReportLeaksOptions): Promise<LeakVerdict[]> => {
    const matches = readMatches(input)
    const opts = readObject(options ?? {}, 'options', ['policy'])
    const policy: LeakPolicy =
      opts.policy === undefined ? 'revoke' : readEnum(opts.policy, 'policy', ['revoke', 'notify'])
    const parsed: (ParsedToken | null)[] = matches.map((m) => parseToken(m.token, prefix))
    const ids = [...new Set(parsed.flatMap((p) => (p ? [p.keyId] : [])))]
    const records = new Map<string, KeyRecord>()
    await eachLimited(ids, CONCURRENCY, async (id) => {
      const found = await store.getKeyWithOrganisation(id)
      if (found) records.set(id, found.key)
    })
    const at = now()
    const verdicts: LeakVerdict[] = matches.map(() => FALSE_POSITIVE)
    // True positives by key, each key's in order; a match repeated exactly is written once.
    const byKey = new Map<string, number[]>()
    const seen = new Map<string, number>()
    const repeats: [number, number][] = []
    parsed.forEach((token, i) => {
      const record = token && records.get(token.keyId)
      if (!token || !record) return
      const digestFor = presentedSecret(digests, token.keyId, token.secret)
      if (findLeakedToken(record, digestFor, at) === null) return
      const { token: t, url, source } = matches[i]!
      const same = JSON.stringify([t, url, source])
      const first = seen.get(same)
      if (first !== undefined) {
        repeats.push([i, first])
        return
      }
      seen.set(same, i)
      byKey.set(token.keyId, [...(byKey.get(token.keyId) ?? []), i])
    })
    await eachLimited([...byKey.values()], CONCURRENCY, async (indices) => {
      for (const i of indices) verdicts[i] = await commit(parsed[i]!, matches[i]!, policy)
    })
    for (const [i, first] of repeats) verdicts[i] = verdicts[first]!
    return verdicts
  }

  async function commit(token: ParsedToken, match: LeakMatch, policy: LeakPolicy) {
    const digestFor = presentedSecret(digests, token.keyId, token.secret)
    try {
      const done = await mutateKey(token.keyId, SYSTEM, ({ key }, at) => {
        const leaked = findLeakedToken(key, digestFor, at)
        if (leaked === null) return null
        const revoked = policy === 'revoke' ? revokeLeakedToken(key, leaked, at) : null
        const outcome: LeakOutcome = leaked.revoked
          ? 'already_revoked'
          : revoked
            ? 'revoked'
            : 'reported'
        const { slot, which } = leaked
        const verdict: LeakVerdict = { label: 'true_positive', keyId: key.id, slot, which, outcome }
        const { url, source } = match
        return {
          record: revoked ?? noteLeak(key),
          result: verdict,
          event: { type: 'key.leaked', slot, which, outcome, url, source },
        }
      })
      return done.written ? done.result : FALSE_POSITIVE
    } catch (error) {
      // Deleted since it was read: nothing is left to leak.
      if (error instanceof KeycycleError && error.code === 'not_found') return FALSE_POSITIVE
      throw error
    }
  }
}
