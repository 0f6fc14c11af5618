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
 *    Checks that need a verified, usable key — who may call from where, what it may do, how
 *    much it may spend — go right after this step and before the next, as pure decisions in
 *    the core, so that a refused request records nothing.
 * 4. **record use** — the matched token's last use, and its re-digest under the current pepper
 *    when it was made under an older one, kept in memory and written behind
 *    (`last-used-recorder.ts`): never a store write on the request path.
 * 5. **result** — the success result with the key's shared view (`shared-views.ts`).
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
 *   built and frozen once per stored version (`shared-views.ts`) instead of ~20 objects a call.
 * - **One digest per verification.** `presented-secret.ts` digests the secret once per pepper
 *   the four candidates name: once, outside a pepper rotation.
 * - **Frozen refusals.** The core's refusal verdicts are constants.
 * Stores have tricks of their own behind the port (the Redis store remembers decoded replies,
 * the SQL stores read a neighbour row for an unknown ID so it costs what a known one does);
 * the pipeline relies on none of them.
 */
import { decideVerification, type Verdict } from '../../core/decide-verification'
import type { Digests } from '../../core/digest'
import { parseToken } from '../../core/token'
import type { VerifyResult } from '../../core/verify-result'
import { isPromiseLike } from '../../store/deadline'
import type { Now } from '../deps'
import type { LastUsedRecorder } from './last-used-recorder'
import { presentedSecret } from './presented-secret'
import type { KeyRead, ReadKey } from './read-key'
import type { ViewOf } from './shared-views'

/** What the pipeline is built from. */
export interface VerifyDeps {
  /** The token prefix this instance mints and accepts. */
  prefix: string
  now: Now
  read: ReadKey
  digests: Digests
  views: ViewOf
  lastUsed: LastUsedRecorder
}

/**
 * Verifies a presented token. Never throws for a bad token; rejects only with `unavailable`
 * (the store did not answer in time) or another `KeycycleError` fault.
 */
export type Verify = (token: unknown) => Promise<VerifyResult>

/** The verification pipeline over `deps`. */
export function verifier(deps: VerifyDeps): Verify {
  const { prefix, now, read, digests, views, lastUsed } = deps

  // Steps 3–5, once the read has answered at `at`.
  function conclude(keyId: string, secret: string, found: KeyRead, at: number): VerifyResult {
    const checkedAt = found.checkedAt ?? at
    const record = found.found
    const verdict: Verdict = decideVerification({
      found: record,
      digestFor: presentedSecret(digests, keyId, secret),
      now: at,
    })
    if (!verdict.ok || record === null) {
      return Object.freeze({ ok: false, code: verdict.ok ? 'not_found' : verdict.code, checkedAt })
    }
    recordUse(keyId, secret, verdict.stored, at)
    const { key, config } = views(record.key, record.organisation, at)
    const { slot, graceEndsAt } = verdict
    const rotating = graceEndsAt !== null
    return Object.freeze({ ok: true, key, slot, rotating, graceEndsAt, config, checkedAt })
  }

  // Step 4: last use, and a re-digest when the token was made under an older pepper.
  function recordUse(keyId: string, secret: string, stored: string, at: number): void {
    const redigest = digests.isOutdated(stored) ? digests.mint(keyId, secret) : null
    lastUsed.record(keyId, stored, at, redigest)
  }

  return async (token) => {
    const parsed = parseToken(token, prefix)
    if (parsed === null) return Object.freeze({ ok: false, code: 'malformed', checkedAt: now() })
    const { keyId, secret } = parsed
    const asked = now()
    const found = read(keyId, asked)
    if (!isPromiseLike(found)) return conclude(keyId, secret, found, asked)
    const answered = await found
    return conclude(keyId, secret, answered, now())
  }
}
