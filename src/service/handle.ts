import { invalidInput } from '../core/errors'
import type { CreateKeyInput, KeyPatch, ListKeysQuery, OrganisationPatch } from '../core/inputs'
import type { KeyUsage, KeyUsageQuery } from '../core/key-usage'
import type { InstantInput } from '../core/schema'
import type { Actor, EffectiveConfig, Key, Organisation, Slot } from '../core/types'
import type { DeleteKey, DeleteOptions } from './delete-key'
import type { ImportKey } from './import-key'
import type { KeyCommands, KeyWithToken, RotateOptions } from './key-commands'
import type { KeyPage, KeyQueries } from './key-queries'
import type { OrganisationCommands } from './organisation-commands'
import type { RevealedToken, RevealKey } from './reveal-key'
import type { DeactivateOptions, StateCommands } from './state-commands'

/**
 * Everything one actor may do, bound to that actor once (see `Keycycle.as`). Every method
 * validates its input at run time and throws `KeycycleError`: `validation` for malformed input,
 * `forbidden` for an action or field this actor may never use, `not_found` for an ID that is
 * unknown, malformed or another organisation's, `invalid_transition` and `lockout` for refused
 * state changes, `conflict` after lost races, `unavailable` for store faults. A call that throws
 * has changed nothing (a write answered `unavailable` may have committed within its deadline).
 *
 * @example
 * ```ts
 * const org = kc.asOrganisation(organisationId)
 * const { key, token } = await org.createKey({ name: 'CI' })
 * await org.rotateKey(key.id)                 // old token keeps working for the grace period
 * await kc.asAdmin('ops-1').blockKey(key.id)  // admins only
 * ```
 */
export interface ActorHandle {
  /** The validated actor every call of this handle acts as. */
  readonly actor: Actor
  /**
   * The organisation: an organisation handle's own when `id` is omitted; admins name it.
   * `not_found` for another organisation's.
   */
  getOrganisation(id?: string): Promise<Organisation>
  /**
   * Changes organisation defaults (absent keeps, `null` reverts to the library default); keys
   * without overrides follow at once, with no write to them. An organisation handle changes its
   * own (`updateOrganisation(patch)`); an admin names it (`updateOrganisation(id, patch)`).
   */
  updateOrganisation(patch: OrganisationPatch): Promise<Organisation>
  updateOrganisation(id: string, patch: OrganisationPatch): Promise<Organisation>
  /**
   * Creates a key in `input.organisation` (default: an organisation handle's own; admins must
   * name it). `type`, `permissions` and `expiresAt` are admin only (`forbidden`). Returns the
   * token, the only time it is ever shown. Emits `key.created`.
   */
  createKey(input?: CreateKeyInput): Promise<KeyWithToken>
  /**
   * Admin only: imports a token of another system as a key of `input.organisation`, with the
   * usual key fields, by the token itself (digested here, never stored) or by its existing
   * SHA-256 (`digest`, hex or base64). With `importedTokens`, `verify` accepts it as it does
   * keycycle's own; `rotateKey` then mints a keycycle token and lets the old one retire for the
   * grace period. Idempotent: a token already imported into that organisation answers its key
   * with `created: false`. Emits `key.created` when it creates one. See
   * `docs/decisions.md#importing-keys`. `token` and `digest`: exactly one; `digest` is the
   * SHA-256 of the whole old token; `hint` (digest only) is its last characters (four kept).
   * `created` is false when nothing was written.
   */
  importKey(
    input: CreateKeyInput & { token?: string; digest?: string; hint?: string },
  ): Promise<{ key: Key; created: boolean }>
  /** One key, as of now (effective state). */
  getKey(id: string): Promise<Key>
  /**
   * A page of keys, newest first; 1–100 per page (default 10); `state` filters on the effective
   * state at now. `organisation` defaults to an organisation handle's own.
   */
  listKeys(query?: ListKeysQuery): Promise<KeyPage>
  /** Absent fields are kept, `null` reverts to the organisation default. Emits `key.updated`. */
  updateKey(id: string, patch: KeyPatch): Promise<Key>
  /**
   * Mints a new token for a slot (default primary); without `force` the old one keeps working
   * for the grace period. Emits `key.rotated`.
   */
  rotateKey(id: string, options?: RotateOptions): Promise<KeyWithToken>
  /** Replaces a slot's token; the old value stops at once. Creates an absent secondary slot. */
  regenerateKey(id: string, slot: Slot): Promise<KeyWithToken>
  /** active → deactivated; an organisation's last active standard key needs `allowLockout`. */
  deactivateKey(id: string, options?: DeactivateOptions): Promise<Key>
  /** deactivated → active. */
  activateKey(id: string): Promise<Key>
  /**
   * Deletes a key: it stops verifying at once, is gone from reads and lists, and no digest of
   * it stays stored. Returns the key as it was; emits `key.deleted`. An organisation's last
   * active standard key needs `allowLockout`.
   */
  deleteKey(id: string, options?: DeleteOptions): Promise<Key>
  /** Admin only: active or deactivated → blocked; kills retiring tokens at once. */
  blockKey(id: string): Promise<Key>
  /** Admin only: blocked → active. */
  unblockKey(id: string): Promise<Key>
  /**
   * Admin only: moves `expiresAt` (in the future: a `Date` or epoch ms; or null for never);
   * expired → active.
   */
  extendKey(id: string, expiresAt: InstantInput | null): Promise<Key>
  /** The effective configuration of a key this actor may reach, each value with its source. */
  resolveConfig(keyId: string): Promise<EffectiveConfig>
  /**
   * A key's verifications by outcome over `[from, to)`, in hourly or daily UTC buckets (see
   * `KeycycleOptions.analytics`): an organisation reads its own keys', an admin any.
   * `validation` for a bad range, `not_found` for a key this actor cannot reach. Counts show
   * once written (every `lastUsedFlushMs`, or `kc.flushUsage()`).
   *
   * @example
   * ```ts
   * const usage = await org.getKeyUsage(keyId, { granularity: 'day' })
   * usage.totals // { success: 1200, rate_limited: 3, total: 1203 }
   * ```
   */
  getKeyUsage(id: string, query?: KeyUsageQuery): Promise<KeyUsage>
  /**
   * Admin only, and only when `createKeycycle({ allowReveal: true })`: the current token of a
   * signing key's `slot` (default primary), opened from its sealing. Records `key.revealed`
   * (the slot; the admin's ID as the actor) with a write of the key before the token is
   * returned. `forbidden` for an organisation or with reveal off (checked first); `conflict`
   * for a key that keeps no token there (not a signing key); `not_found` for an unknown key.
   */
  revealKey(id: string, slot?: Slot): Promise<RevealedToken>
}

/** The service's parts a handle calls, each bound once by the composition root. */
export interface ServiceCalls {
  keys: KeyCommands
  states: StateCommands
  deleteKey: DeleteKey
  importKey: ImportKey
  queries: KeyQueries
  organisations: OrganisationCommands
  revealKey: RevealKey
}

/** Builds the handle for an already validated actor. */
export function actorHandle(calls: ServiceCalls, actor: Actor): ActorHandle {
  const { keys, states, queries, organisations } = calls
  return Object.freeze({
    actor,
    getOrganisation: async (id?: string) =>
      organisations.getOrganisation(actor, id === undefined ? ownOrganisation(actor) : id),
    updateOrganisation: async (idOrPatch: string | OrganisationPatch, patch?: OrganisationPatch) =>
      typeof idOrPatch === 'string'
        ? organisations.updateOrganisation(actor, idOrPatch, patch as OrganisationPatch)
        : organisations.updateOrganisation(actor, ownOrganisation(actor), idOrPatch),
    createKey: (input?: CreateKeyInput) => keys.createKey(actor, input),
    importKey: (input: CreateKeyInput & { token?: string; digest?: string; hint?: string }) =>
      calls.importKey(actor, input),
    getKey: (id: string) => queries.getKey(actor, id),
    listKeys: (query?: ListKeysQuery) => queries.listKeys(actor, query),
    updateKey: (id: string, patch: KeyPatch) => keys.updateKey(actor, id, patch),
    rotateKey: (id: string, options?: RotateOptions) => keys.rotateKey(actor, id, options),
    regenerateKey: (id: string, slot: Slot) => keys.regenerateKey(actor, id, slot),
    deactivateKey: (id: string, options?: DeactivateOptions) =>
      states.deactivateKey(actor, id, options),
    activateKey: (id: string) => states.changeState(actor, id, 'activate'),
    deleteKey: (id: string, options?: DeleteOptions) => calls.deleteKey(actor, id, options),
    blockKey: (id: string) => states.changeState(actor, id, 'block'),
    unblockKey: (id: string) => states.changeState(actor, id, 'unblock'),
    extendKey: (id: string, expiresAt: InstantInput | null) =>
      keys.updateKey(actor, id, { expiresAt }),
    resolveConfig: (keyId: string) => queries.resolveConfig(actor, keyId),
    getKeyUsage: (id: string, query?: KeyUsageQuery) => queries.getKeyUsage(actor, id, query),
    revealKey: (id: string, slot?: Slot) => calls.revealKey(actor, id, slot),
  })
}

// An admin has no organisation of its own: it must name one.
function ownOrganisation(actor: Actor): string {
  if (actor.kind === 'organisation') return actor.id
  throw invalidInput('organisation', 'required when an admin acts')
}
