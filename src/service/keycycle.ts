import type { CreateOrganisationInput } from '../core/inputs'
import { parseActor } from '../core/inputs'
import type { Actor, EffectiveConfig } from '../core/types'
import type { VerifyResult } from '../core/verify'
import { parseDispatchOptions } from './dispatch-options'
import { Dispatcher } from './dispatcher'
import { type ActorHandle, actorHandle } from './handle'
import * as queries from './key-queries'
import type { KeycycleOptions } from './options'
import type { CreatedOrganisation } from './organisations'
import * as organisations from './organisations'
import { createRuntime } from './runtime'
import type { ExpireDueOptions } from './state-commands'
import * as states from './state-commands'

/**
 * The keycycle service. Host-level calls (no actor) live here; everything done *for* someone
 * goes through an actor-scoped handle from {@link Keycycle.as}, {@link Keycycle.asOrganisation}
 * or {@link Keycycle.asAdmin}.
 *
 * @example
 * ```ts
 * const kc = createKeycycle({ store: memoryStore() })
 * const { organisation, token } = await kc.createOrganisation()
 * const result = await kc.verify(token)                       // { ok: true, key, … }
 * const org = kc.asOrganisation(organisation.id)
 * await org.listKeys({ limit: 10 })
 * ```
 */
export interface Keycycle {
  /**
   * A handle acting as `actor`, validated once here: `validation` unless it is
   * `{ kind: 'organisation', id: <organisation ID> }` or `{ kind: 'admin', id: <1–255 chars> }`.
   * Making a handle does no I/O.
   */
  as(actor: Actor): ActorHandle
  /** Same as `as({ kind: 'organisation', id })`: the owner acting on its own keys. */
  asOrganisation(id: string): ActorHandle
  /** Same as `as({ kind: 'admin', id })`: the API administrator; `id` is recorded in audit fields. */
  asAdmin(id: string): ActorHandle
  /**
   * Creates an organisation and its first standard key, atomically, and returns that key's token
   * (shown this once). Host-level: no actor; the key is recorded as created by the organisation.
   */
  createOrganisation(input?: CreateOrganisationInput): Promise<CreatedOrganisation>
  /**
   * Checks a token. Returns a result for every token, valid or not, and throws only
   * `unavailable` (the store did not answer in time), so middleware can fail closed.
   */
  verify(token: string): Promise<VerifyResult>
  /** The effective configuration of any key, with sources. Host-level: no reach check. */
  resolveConfig(keyId: string): Promise<EffectiveConfig>
  /** Persists due expiries and emits `key.expired`; returns how many keys this call expired. */
  expireDue(options?: ExpireDueOptions): Promise<number>
  /**
   * How many stored digests each pepper made, by pepper ID (`''`: no pepper, or the legacy
   * single pepper), counting current tokens and retiring tokens still in their grace window.
   * An old pepper can be removed from `pepper` once its count is zero. May scan every key.
   */
  pepperUsage(): Promise<Record<string, number>>
  /**
   * Writes pending last-used times and re-digests now (see `lastUsedFlushMs`). Rejects with
   * the first fault; what could not be written is kept for the next flush.
   */
  flushUsage(): Promise<void>
  /**
   * Flushes last-used times, stops what keycycle runs in the background (the flush timer, the
   * cache's change subscription) and releases what it opened. Idempotent. The store's own
   * client stays the host's to close.
   */
  close(): Promise<void>
  /**
   * Delivers every outbox event that is due now through this instance's `onEvent`, waiting
   * for each delivery to end (delivered, put back for a retry, or given up), and resolves with
   * how many ended. Events put back for a retry are not waited for. Resolves 0 without
   * `onEvent`. For tests, scripts and graceful shutdowns; the dispatcher delivers by itself.
   */
  drainEvents(): Promise<number>
}

/** Builds the service. Throws `validation` for bad options; does no I/O until called. */
export function createKeycycle(options: KeycycleOptions): Keycycle {
  const rt = createRuntime(options)
  rt.cache?.start(rt.store, (error: unknown) =>
    console.error(
      'keycycle: the change channel could not start; the cache bound is maxStalenessMs',
      error,
    ),
  )
  const dispatcher =
    options.onEvent === undefined
      ? null
      : new Dispatcher(rt, options.onEvent, parseDispatchOptions(options.dispatch))
  if (dispatcher) {
    rt.events.committed = () => dispatcher.nudge()
    dispatcher.start()
  }
  const as = (actor: Actor) => actorHandle(rt, parseActor(actor))
  return {
    as,
    asOrganisation: (id) => as({ kind: 'organisation', id }),
    asAdmin: (id) => as({ kind: 'admin', id }),
    createOrganisation: (input) => organisations.createOrganisation(rt, input),
    verify: (token) => queries.verify(rt, token),
    resolveConfig: (keyId) => queries.resolveConfig(rt, { kind: 'system' }, keyId),
    expireDue: (opts) => states.expireDue(rt, opts),
    pepperUsage: () => rt.store.countDigests(rt.now()),
    flushUsage: () => rt.usage.flush(),
    drainEvents: async () => (dispatcher ? dispatcher.drain() : 0),
    close: async () => {
      try {
        await rt.usage.close()
      } finally {
        await dispatcher?.close()
        await rt.cache?.close()
      }
    },
  }
}
