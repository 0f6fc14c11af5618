import { createDigester, type Digester } from '../core/digest'
import { invalidInput, KeycycleError } from '../core/errors'
import { ID_RANDOM_BYTES, type IdKind, newId } from '../core/ids'
import type { MintedDigest } from '../core/keys'
import { DEFAULT_TRIAL_DURATION_MS } from '../core/keys'
import { DEFAULT_GRACE_PERIOD_MS } from '../core/rotation'
import { assertTokenPrefix, mintToken, SECRET_BYTES, tokenHint } from '../core/token'
import type { Actor, KeyRecord, Organisation, SystemActor } from '../core/types'
import type { KeyStore } from '../store'
import { type EventBase, eventBase, type KeycycleEvent } from './events'
import { assertStore, guardStore } from './guarded-store'
import type { KeycycleOptions } from './options'

/** Everything a command needs, resolved once from the options. */
export interface Runtime {
  store: KeyStore
  now(): number
  bytes(n: number): Uint8Array
  prefix: string
  digest: Digester
  gracePeriodMs: number
  trialDurationMs: number
  maxAttempts: number
  /**
   * Announces a committed change. The shared fields (ID, time, key view, effective webhook
   * config) are only built when the host listens.
   */
  emit(actor: Actor | SystemActor, committed: CommitContext, detail: EventDetail): Promise<void>
}

/** What an event is about: the committed record, its organisation, and the commit time. */
export interface CommitContext {
  record: KeyRecord
  organisation: Organisation
  now: number
}

/** The part of an event specific to its type. */
export type EventDetail = KeycycleEvent extends infer E
  ? E extends unknown
    ? Omit<E, keyof EventBase>
    : never
  : never

function readDuration(value: number | undefined, field: string, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 0) throw invalidInput(field, 'must be an integer ≥ 0')
  return value
}

function webCryptoBytes(n: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(n))
}

/** Validates options and builds the runtime; throws `validation` on any bad option. */
export function createRuntime(options: KeycycleOptions): Runtime {
  if (typeof options !== 'object' || options === null) throw invalidInput('options', 'required')
  assertStore(options.store)
  const prefix = options.tokenPrefix ?? 'kc'
  assertTokenPrefix(prefix)
  const clock = options.clock ?? { now: () => Date.now() }
  const random = options.random ?? { bytes: webCryptoBytes }
  const onEventError =
    options.onEventError ??
    ((error: unknown, event: KeycycleEvent) =>
      console.error(`keycycle: onEvent failed for ${event.type} ${event.key.id}`, error))
  const maxAttempts = readDuration(options.maxAttempts, 'maxAttempts', 5)
  if (maxAttempts < 1) throw invalidInput('maxAttempts', 'must be at least 1')
  const storeTimeoutMs = readDuration(options.storeTimeoutMs, 'storeTimeoutMs', 2000)
  const rt: Runtime = {
    store: guardStore(options.store, storeTimeoutMs),
    now() {
      const now = clock.now()
      if (!Number.isSafeInteger(now) || now <= 0) {
        throw new KeycycleError('validation', 'clock: now() must return positive integer epoch ms')
      }
      return now
    },
    bytes(n) {
      const bytes = random.bytes(n)
      if (!(bytes instanceof Uint8Array) || bytes.length !== n) {
        throw new KeycycleError('validation', `random: bytes(${n}) must return ${n} bytes`)
      }
      return bytes
    },
    prefix,
    digest: createDigester(options.pepper),
    gracePeriodMs: readDuration(options.gracePeriodMs, 'gracePeriodMs', DEFAULT_GRACE_PERIOD_MS),
    trialDurationMs: readDuration(
      options.trialDurationMs,
      'trialDurationMs',
      DEFAULT_TRIAL_DURATION_MS,
    ),
    maxAttempts,
    async emit(actor, { record, organisation, now }, detail) {
      if (!options.onEvent) return
      const id = generateId(rt, 'evt', now)
      const event = {
        ...eventBase(id, now, actor, record, organisation),
        ...detail,
      } as KeycycleEvent
      try {
        await options.onEvent(event)
      } catch (error) {
        onEventError(error, event)
      }
    },
  }
  return rt
}

export function generateId(rt: Runtime, kind: IdKind, now: number): string {
  return newId(kind, now, rt.bytes(ID_RANDOM_BYTES))
}

/** Mints a token for `keyId`: the token for the caller, the digest and hint for the store. */
export function mint(rt: Runtime, keyId: string): { token: string; minted: MintedDigest } {
  const { token, secret } = mintToken(rt.prefix, keyId, rt.bytes(SECRET_BYTES))
  return { token, minted: { digest: rt.digest(keyId, secret), hint: tokenHint(token) } }
}

/** Throws `not_found` when an organisation actor reaches for another organisation's resource. */
export function assertReach(actor: Actor | SystemActor, organisation: string, what: string): void {
  if (actor.kind === 'organisation' && actor.id !== organisation) {
    throw new KeycycleError('not_found', `${what} not found`)
  }
}

/** Loads a key and its organisation, hiding foreign keys as `not_found`. */
export async function loadKey(
  rt: Runtime,
  id: string,
  actor: Actor | SystemActor,
): Promise<{ key: KeyRecord; organisation: Organisation }> {
  const found = await rt.store.getKeyWithOrganisation(id)
  if (found === null) throw new KeycycleError('not_found', `key ${id} not found`)
  assertReach(actor, found.key.organisation, `key ${id}`)
  return found
}

/** One committed write of a {@link mutateKey} cycle. */
export interface Committed<R> {
  before: KeyRecord
  record: KeyRecord
  organisation: Organisation
  now: number
  result: R
}

/**
 * Read, decide, compare-and-set, retried up to `maxAttempts` times when another writer got in
 * first; each attempt decides afresh on what it read. `decide` returns null to write nothing.
 * Throws `conflict` when every attempt lost.
 */
export async function mutateKey<R>(
  rt: Runtime,
  id: string,
  actor: Actor | SystemActor,
  decide: (
    found: { key: KeyRecord; organisation: Organisation },
    now: number,
  ) => { record: KeyRecord; result: R } | null,
): Promise<Committed<R> & { written: boolean }> {
  for (let attempt = 1; attempt <= rt.maxAttempts; attempt++) {
    const found = await loadKey(rt, id, actor)
    const now = rt.now()
    const decision = decide(found, now)
    const base = { before: found.key, organisation: found.organisation, now }
    if (decision === null)
      return { ...base, record: found.key, result: undefined as R, written: false }
    if (await rt.store.updateKey(decision.record, found.key.version)) {
      return { ...base, record: decision.record, result: decision.result, written: true }
    }
    if (attempt < rt.maxAttempts) await backoff(rt, attempt)
  }
  throw new KeycycleError('conflict', `key ${id} was changed concurrently; try again`)
}

// Jittered, growing pause so that a crowd of writers losing the same race spreads out.
function backoff(rt: Runtime, attempt: number): Promise<void> {
  const ms = (rt.bytes(1)[0]! % (1 << Math.min(attempt, 6))) + 1
  return new Promise((resolve) => setTimeout(resolve, ms))
}
