/**
 * # The verification pipeline
 *
 * `kc.verify(token)` is five steps, each a named function, in this order:
 *
 * 1. **parse** — shape, prefix and checksum (`parseToken`, pure): a malformed token is refused
 *    with no store call.
 * 2. **read** — the key with its organisation: from the cache when it holds a fresh entry, else
 *    from the store (`read-key.ts`).
 * 3. **decide** — the presented secret against the key's live tokens, then the key's effective
 *    state (`decideVerification`, pure; `presented-secret.ts` digests the secret).
 * 4. **check** — what a usable key may do, from its usage rules (`src/core/usage-control.ts`,
 *    pure): the client's address, then the permissions asked for. A new check that needs no
 *    counter goes there, in `checkAccess`.
 * 5. **spend** — for a key with rate limits or credits, the store's one atomic, all-or-nothing
 *    spend, checked against the versions the decision was made on (`store.spend`); a stale
 *    answer carries the current records, and steps 3–5 run again on them. Keys without either
 *    skip this step: no round trip. In leased mode the step spends from the instance's lease
 *    when it holds one, with no round trip (`spend-step.ts`, `leases.ts`).
 * 6. **record use** — the matched token's last use, and its re-digest under the current pepper
 *    when it was made under an older one, kept in memory and written behind
 *    (`last-used-recorder.ts`): never a store write on the request path. Only a success records.
 * 7. **result** — the success result with the key's shared view (`shared-views.ts`).
 *
 * A refusal at any step records and spends nothing.
 *
 * Every result is deep-frozen, on every store, cached or not.
 *
 * What keeps it at its floor, and where each trick lives (nothing outside this folder depends
 * on them):
 * - **No promise when none is needed.** The read step answers synchronously on a cache hit and
 *   from stores that offer `getKeyWithOrganisationSync`; only a read that had to wait is
 *   awaited. The clock is read once, unless the read waited: the decision is then taken when
 *   the answer came.
 * - **Shared frozen views.** A success carries the key's view and effective config; they are
 *   built and frozen once per stored version (`shared-views.ts`) instead of ~20 objects a call,
 *   and so are the key's usage rules (its allowed addresses parsed once).
 * - **Parsed asks.** The addresses and permission queries hosts pass are parsed once each
 *   (bounded memos below): a host passes the same few on every request.
 * - **One digest per verification.** `presented-secret.ts` digests the secret once per pepper
 *   the four candidates name: once, outside a pepper rotation.
 * - **Frozen refusals.** The core's refusal verdicts are constants.
 * Stores have tricks of their own behind the port (the Redis store remembers decoded replies,
 * the SQL stores read a neighbour row for an unknown ID so it costs what a known one does);
 * the pipeline relies on none of them.
 */
import { decideVerification, type Verdict } from '../../core/decide-verification'
import type { Digests } from '../../core/digest'
import { KeycycleError } from '../../core/errors'
import { type ClientIp, parseClientIp } from '../../core/ip-rules'
import { type PermissionQuery, parsePermissionQuery } from '../../core/permission-query'
import { parseToken } from '../../core/token'
import {
  checkAccess,
  readVerifyOptions,
  spendsCounters,
  type VerifyAsk,
  type VerifyOptions,
} from '../../core/usage-control'
import type { VerifyFailureCode, VerifyResult } from '../../core/verify-result'
import type { KeyWithOrganisation } from '../../store'
import { isPromiseLike } from '../../store/deadline'
import type { Now } from '../deps'
import type { VerifyCache } from './cache'
import type { LastUsedRecorder } from './last-used-recorder'
import { presentedSecret } from './presented-secret'
import type { KeyRead, ReadKey } from './read-key'
import { frozenStates, NO_LIMITS, refused, succeeded } from './results'
import type { KeyView, SharedViews } from './shared-views'
import { type SpendStepDeps, type Spent, spendStep } from './spend-step'

/** What the pipeline is built from. */
export interface VerifyDeps extends SpendStepDeps {
  /** The token prefix this instance mints and accepts. */
  prefix: string
  now: Now
  read: ReadKey
  /** The verification cache, told when a spend found its records stale. */
  cache: VerifyCache | null
  digests: Digests
  views: SharedViews
  lastUsed: LastUsedRecorder
}

/**
 * Verifies a presented token, asking what `options` asks. Never throws for a bad token;
 * rejects with `validation` for bad options, and with `unavailable` (or another `KeycycleError`
 * fault) when the store did not answer in time.
 */
export type Verify = (token: unknown, options?: VerifyOptions) => Promise<VerifyResult>

// How many times a spend may find the records it was decided on moved before the verification
// gives up (`unavailable`): each time means a write to the key landed within one round trip.
const MAX_DECISIONS = 3

// A bounded memo is cheaper on every call than an LRU; hosts pass the same few values.
const MEMO_SIZE = 1024

function memoised<T>(parse: (text: string) => T): (value: unknown) => T {
  const memo = new Map<string, T>()
  return (value) => {
    if (typeof value !== 'string') return parse(value as string)
    let parsed = memo.get(value)
    if (parsed === undefined) {
      parsed = parse(value)
      if (memo.size >= MEMO_SIZE) memo.clear()
      memo.set(value, parsed)
    }
    return parsed
  }
}

/** The verification pipeline over `deps`. */
export function verifier(deps: VerifyDeps): Verify {
  const { prefix, now, read, store, cache, digests, views, lastUsed, leases } = deps
  const spendUsage = spendStep(deps)
  const accuracy =
    leases && Object.freeze({ mode: 'leased' as const, leaseUnits: leases.settings.units })
  const parseIp: (text: unknown) => ClientIp = memoised((text) => parseClientIp(text))
  const parseQuery: (query: unknown) => PermissionQuery = memoised((query) =>
    parsePermissionQuery(query),
  )

  // Steps 3–7, once the read has answered at `at`: a result at once, unless a spend is needed.
  function conclude(
    keyId: string,
    secret: string,
    read: KeyRead,
    at: number,
    ask: VerifyAsk,
    decisions: number,
  ): VerifyResult | Promise<VerifyResult> {
    const checkedAt = read.checkedAt ?? at
    const found = read.found
    const verdict: Verdict = decideVerification({
      found,
      digestFor: presentedSecret(digests, keyId, secret),
      now: at,
    })
    // A refusal decided on a hint is confirmed by a read first.
    const refuse = (code: VerifyFailureCode) =>
      read.hinted ? confirm(keyId, secret, read, code, ask, decisions) : refused(code, checkedAt)
    if (!verdict.ok || found === null) return refuse(verdict.ok ? 'not_found' : verdict.code)
    const view = views.view(found.key, found.organisation, at)
    const refusal = checkAccess(view.rules, found.key.permissions, ask)
    if (refusal !== null) return refuse(refusal)
    if (!spendsCounters(view.rules)) {
      recordUse(keyId, secret, verdict.stored, at)
      return succeeded(verdict, view, checkedAt, null, NO_LIMITS)
    }
    return spend(keyId, secret, found, verdict, view, { at, checkedAt, ask, decisions })
  }

  // A refusal decided on a hint stands only if the store still holds those versions; if not, the
  // decision is taken again on what it holds. One read: what a refusal costs unhinted too.
  async function confirm(
    keyId: string,
    secret: string,
    hinted: KeyRead,
    code: VerifyFailureCode,
    ask: VerifyAsk,
    decisions: number,
  ): Promise<VerifyResult> {
    const current = await store.getKeyWithOrganisation(keyId)
    const at = now()
    const was = hinted.found
    if (
      current !== null &&
      was !== null &&
      current.key.version === was.key.version &&
      current.organisation.version === was.organisation.version
    ) {
      return refused(code, at)
    }
    views.forget(keyId)
    return conclude(keyId, secret, { found: current, checkedAt: null }, at, ask, decisions + 1)
  }

  // Step 5 (`spend-step.ts`), then what its answer means: a stale answer decides again.
  function spend(
    keyId: string,
    secret: string,
    found: KeyWithOrganisation,
    verdict: Extract<Verdict, { ok: true }>,
    view: KeyView,
    context: { at: number; checkedAt: number; ask: VerifyAsk; decisions: number },
  ): VerifyResult | Promise<VerifyResult> {
    const answer = spendUsage(keyId, found, view.rules, context.ask.cost, context.at)
    const settle = (spent: Spent) => settled(keyId, secret, found, verdict, view, context, spent)
    return isPromiseLike(answer) ? answer.then(settle) : settle(answer)
  }

  function settled(
    keyId: string,
    secret: string,
    found: KeyWithOrganisation,
    verdict: Extract<Verdict, { ok: true }>,
    view: KeyView,
    {
      at,
      checkedAt,
      ask,
      decisions,
    }: { at: number; checkedAt: number; ask: VerifyAsk; decisions: number },
    answer: Spent,
  ): VerifyResult | Promise<VerifyResult> {
    if (answer.stale) {
      // Written since it was read: whatever this instance holds of it is stale too.
      views.forget(keyId)
      cache?.invalidate(keyId)
      cache?.invalidate(found.organisation.id)
      if (decisions + 1 >= MAX_DECISIONS) {
        throw new KeycycleError('unavailable', `key ${keyId} kept changing during its verification`)
      }
      const current = { found: answer.current, checkedAt: null }
      return conclude(keyId, secret, current, now(), ask, decisions + 1)
    }
    const balance = answer.credits === null ? null : Object.freeze({ remaining: answer.credits })
    const limits = frozenStates(answer.buckets)
    if (answer.outcome !== 'spent') {
      return Object.freeze({
        ok: false,
        code: answer.outcome,
        checkedAt,
        ...(answer.retryAfterMs === null ? {} : { retryAfterMs: answer.retryAfterMs }),
        rateLimits: limits,
        credits: balance,
      })
    }
    recordUse(keyId, secret, verdict.stored, at)
    return succeeded(verdict, view, checkedAt, balance, limits, answer.leased ? accuracy : null)
  }

  // Step 6: last use, and a re-digest when the token was made under an older pepper.
  function recordUse(keyId: string, secret: string, stored: string, at: number): void {
    const redigest = digests.isOutdated(stored) ? digests.mint(keyId, secret) : null
    lastUsed.record(keyId, stored, at, redigest)
  }

  return async (token, options) => {
    const ask = readVerifyOptions(options, parseIp, parseQuery)
    const parsed = parseToken(token, prefix)
    if (parsed === null) return refused('malformed', now())
    const { keyId, secret } = parsed
    const asked = now()
    const found = read(keyId, asked)
    if (!isPromiseLike(found)) return conclude(keyId, secret, found, asked, ask, 0)
    const answered = await found
    return conclude(keyId, secret, answered, now(), ask, 0)
  }
}
