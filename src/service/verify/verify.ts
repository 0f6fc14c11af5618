/**
 * # The verification pipeline
 *
 * `kc.verify(token)` is five steps, each a named function, in this order:
 *
 * 1. **parse** — shape, prefix and checksum (`parseToken`, pure): a malformed token is refused
 *    with no store call. With `importedTokens`, a token that is not keycycle-shaped (nor starts
 *    with the prefix) takes the imported read instead, and the steps below follow unchanged.
 * 2. **read** — the key with its organisation: from the cache when it holds a fresh entry, else
 *    from the store (`read-key.ts`). An imported token's read is its SHA-256, then one store
 *    lookup by that digest, as costly found as not (`imported-read.ts`); it is compared by
 *    `importedDigestFor` (`presented-secret.ts`), the one thing that differs after it.
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
 * A refusal at any step records and spends nothing. Every result naming an existing key,
 * success or refusal, is then counted for usage analytics, in memory (`usage-tally.ts`,
 * written behind as last use is); `malformed` and `not_found` name none and are not counted.
 *
 * `kc.verifyRequest` (a signed request, `signed-request.ts`) runs the same steps on what its
 * headers present: step 1 reads the three headers and refuses a timestamp out of the window
 * (`stale_signature`) with no store call; after step 2 the key's sealed tokens are opened (once
 * per sealing, then remembered); step 3 compares the signature with an HMAC under each live
 * token instead of digests, then refuses a signature this instance already accepted
 * (`replayed`). Steps 4–7 are the same; a signed request is never re-digested.
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
import { isKeyId } from '../../core/ids'
import { mayBeImported } from '../../core/imported'
import { type ClientIp, parseClientIp } from '../../core/ip-rules'
import { type PermissionQuery, parsePermissionQuery } from '../../core/permission-query'
import type { HmacHex } from '../../core/request-signature'
import { timestampFresh } from '../../core/request-signature'
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
import type { SecretSealer } from '../secret-sealer'
import type { VerifyCache } from './cache'
import type { ReadImported } from './imported-read'
import type { LastUsedRecorder } from './last-used-recorder'
import { presentedSecret } from './presented-secret'
import type { KeyRead, ReadKey } from './read-key'
import { frozenStates, NO_LIMITS, refused, succeeded } from './results'
import type { KeyView, SharedViews } from './shared-views'
import {
  openCandidates,
  type ReplayGuard,
  readSignature,
  type SignedRequestInput,
  signatureMatcher,
} from './signed-request'
import { type SpendStepDeps, type Spent, spendStep } from './spend-step'
import type { UsageTally } from './usage-tally'

/** What the pipeline is built from. */
export interface VerifyDeps extends SpendStepDeps {
  /** The token prefix this instance mints and accepts. */
  prefix: string
  now: Now
  read: ReadKey
  /** The read step of a token that is not keycycle-shaped; null: such tokens are malformed. */
  readImported: ReadImported | null
  /** The verification cache, told when a spend found its records stale. */
  cache: VerifyCache | null
  digests: Digests
  views: SharedViews
  lastUsed: LastUsedRecorder
  /** Opens signing keys' sealed tokens; null without `secretEncryption`. */
  sealer: SecretSealer | null
  /** HMAC-SHA-256 for signed requests. */
  hmacHex: HmacHex
  replays: ReplayGuard
  /** Usage analytics' counts; null when they are off. */
  tally: UsageTally | null
}

/**
 * Verifies a presented token, asking what `options` asks. Never throws for a bad token;
 * rejects with `validation` for bad options, and with `unavailable` (or another `KeycycleError`
 * fault) when the store did not answer in time.
 */
export type Verify = (token: unknown, options?: VerifyOptions) => Promise<VerifyResult>

/** Verifies a signed request as {@link Verify} does a token (`kc.verifyRequest`). */
export type VerifyRequest = (
  request: SignedRequestInput,
  options?: VerifyOptions,
) => Promise<VerifyResult>

// What a verification presents, as step 3 checks it: a token's secret (its digest against the
// stored ones) or a signature (HMACs under the opened tokens).
interface Presented {
  digestFor: (stored: string) => string | null
  matches?: Parameters<typeof decideVerification>[0]['matches']
  /** The token's secret, for a re-digest under the current pepper; null for a signature. */
  secret: string | null
  /** Once the secret matched: a refusal code, or null. Asked once per verification. */
  admit?: (at: number) => VerifyFailureCode | null
}

const NO_DIGEST = () => null

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

/** The verification pipeline over `deps`: tokens, and signed requests. */
export function verifier(deps: VerifyDeps): { verify: Verify; verifyRequest: VerifyRequest } {
  const { prefix, now, read, readImported, store, cache, digests, views, lastUsed, leases, tally } =
    deps
  const { sealer, hmacHex, replays } = deps
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
    presented: Presented,
    read: KeyRead,
    at: number,
    ask: VerifyAsk,
    decisions: number,
  ): VerifyResult | Promise<VerifyResult> {
    const checkedAt = read.checkedAt ?? at
    const found = read.found
    const verdict: Verdict = decideVerification({
      found,
      digestFor: presented.digestFor,
      ...(presented.matches && { matches: presented.matches }),
      now: at,
    })
    // A refusal decided on a hint is confirmed by a read first.
    const refuse = (code: VerifyFailureCode) =>
      read.hinted ? confirm(keyId, presented, read, code, ask, decisions) : refused(code, checkedAt)
    if (!verdict.ok || found === null) return refuse(verdict.ok ? 'not_found' : verdict.code)
    const inadmissible = presented.admit?.(at) ?? null
    if (inadmissible !== null) return refused(inadmissible, checkedAt)
    const view = views.view(found.key, found.organisation, at)
    const refusal = checkAccess(view.rules, found.key.permissions, ask)
    if (refusal !== null) return refuse(refusal)
    if (!spendsCounters(view.rules)) {
      recordUse(keyId, presented, verdict.stored, at)
      return succeeded(verdict, view, checkedAt, null, NO_LIMITS)
    }
    return spend(keyId, presented, found, verdict, view, { at, checkedAt, ask, decisions })
  }

  // A refusal decided on a hint stands only if the store still holds those versions; if not, the
  // decision is taken again on what it holds. One read: what a refusal costs unhinted too.
  async function confirm(
    keyId: string,
    presented: Presented,
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
    return conclude(keyId, presented, { found: current, checkedAt: null }, at, ask, decisions + 1)
  }

  // Step 5 (`spend-step.ts`), then what its answer means: a stale answer decides again.
  function spend(
    keyId: string,
    presented: Presented,
    found: KeyWithOrganisation,
    verdict: Extract<Verdict, { ok: true }>,
    view: KeyView,
    context: { at: number; checkedAt: number; ask: VerifyAsk; decisions: number },
  ): VerifyResult | Promise<VerifyResult> {
    const answer = spendUsage(keyId, found, view.rules, context.ask.cost, context.at)
    const settle = (spent: Spent) => settled(keyId, presented, found, verdict, view, context, spent)
    return isPromiseLike(answer) ? answer.then(settle) : settle(answer)
  }

  function settled(
    keyId: string,
    presented: Presented,
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
      return conclude(keyId, presented, current, now(), ask, decisions + 1)
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
    recordUse(keyId, presented, verdict.stored, at)
    return succeeded(verdict, view, checkedAt, balance, limits, answer.leased ? accuracy : null)
  }

  // Step 6: last use, and a re-digest when the token was made under an older pepper.
  function recordUse(keyId: string, presented: Presented, stored: string, at: number): void {
    const { secret } = presented
    const redigest =
      secret !== null && digests.isOutdated(stored) ? digests.mint(keyId, secret) : null
    lastUsed.record(keyId, stored, at, redigest)
  }

  // Usage analytics: whatever the steps concluded, counted here, in this one place.
  function counted(
    keyId: string,
    at: number,
    result: VerifyResult | Promise<VerifyResult>,
  ): VerifyResult | Promise<VerifyResult> {
    if (tally === null) return result
    if (!isPromiseLike(result)) {
      tally.count(keyId, result, at)
      return result
    }
    return result.then((done) => {
      tally.count(keyId, done, at)
      return done
    })
  }

  const verify: Verify = async (token, options) => {
    const ask = readVerifyOptions(options, parseIp, parseQuery)
    const parsed = parseToken(token, prefix)
    if (parsed === null) {
      if (readImported === null || !mayBeImported(token, prefix)) return refused('malformed', now())
      // An imported token: the read by its digest, then the same steps (it has no secret of
      // keycycle's to re-digest); counted under the key it was found for, if any.
      const imported = await readImported(token)
      const presented = { digestFor: imported.digestFor, secret: null }
      const at = now()
      const result = conclude(imported.keyId, presented, imported.read, at, ask, 0)
      return imported.keyId === '' ? result : counted(imported.keyId, at, result)
    }
    const { keyId, secret } = parsed
    const presented = { digestFor: presentedSecret(digests, keyId, secret), secret }
    const asked = now()
    const found = read(keyId, asked)
    if (!isPromiseLike(found)) {
      return counted(keyId, asked, conclude(keyId, presented, found, asked, ask, 0))
    }
    const answered = await found
    return counted(keyId, asked, conclude(keyId, presented, answered, now(), ask, 0))
  }

  const verifyRequest: VerifyRequest = async (request, options) => {
    const ask = readVerifyOptions(options, parseIp, parseQuery)
    const signed = readSignature(request)
    const asked = now()
    if (signed === null || !isKeyId(signed.keyId)) return refused('malformed', asked)
    if (!timestampFresh(signed.timestamp, asked)) return refused('stale_signature', asked)
    const { keyId } = signed
    let admitted: boolean | undefined
    const presented: Presented = {
      digestFor: NO_DIGEST,
      matches: signatureMatcher(sealer, keyId, signed, hmacHex),
      secret: null,
      admit: (at) => {
        admitted ??= replays.admit(signed.signature, signed.timestamp, at)
        return admitted ? null : 'replayed'
      },
    }
    const found = read(keyId, asked)
    const answered = isPromiseLike(found) ? await found : found
    await openCandidates(sealer, answered.found)
    return counted(keyId, asked, conclude(keyId, presented, answered, now(), ask, 0))
  }

  return { verify, verifyRequest }
}
