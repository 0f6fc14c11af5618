import type {
  CreateKeyInput,
  CreateOrganisationInput,
  KeyPatch,
  ListKeysQuery,
  OrganisationPatch,
} from '../core/inputs'
import type { Actor, EffectiveConfig, Key, Organisation, Slot } from '../core/types'
import type { VerifyResult } from '../core/verify'
import type { KeyWithToken, RotateOptions } from './key-commands'
import * as keys from './key-commands'
import type { KeyPage } from './key-queries'
import * as queries from './key-queries'
import type { KeycycleOptions } from './options'
import type { CreatedOrganisation } from './organisations'
import * as organisations from './organisations'
import { createRuntime } from './runtime'
import type { DeactivateOptions, ExpireDueOptions } from './state-commands'
import * as states from './state-commands'

/**
 * The keycycle service. Every method validates its input at run time and throws
 * `KeycycleError` for misuse (`validation`, `forbidden`, `not_found`, `invalid_transition`,
 * `lockout`) and faults (`conflict` after retries, `unavailable`); a call that throws has
 * changed nothing, except that a write timing out as `unavailable` may still commit.
 * An organisation actor reaching another organisation's key gets `not_found`.
 */
export interface Keycycle {
  /** Creates an organisation and its first standard key, atomically. Host-level: no actor. */
  createOrganisation(input?: CreateOrganisationInput): Promise<CreatedOrganisation>
  getOrganisation(id: string, actor: Actor): Promise<Organisation>
  /** Changes organisation defaults; keys without overrides follow at once. */
  updateOrganisation(id: string, patch: OrganisationPatch, actor: Actor): Promise<Organisation>
  /** Creates a key; `type`, `permissions` and `expiresAt` are admin only. Emits `key.created`. */
  createKey(input: CreateKeyInput, actor: Actor): Promise<KeyWithToken>
  getKey(id: string, actor: Actor): Promise<Key>
  /** Newest first; 1–100 per page (default 10); state filter is the effective state at now. */
  listKeys(query: ListKeysQuery, actor: Actor): Promise<KeyPage>
  /** Absent fields are kept, `null` reverts to the organisation default. */
  updateKey(id: string, patch: KeyPatch, actor: Actor): Promise<Key>
  /** Mints a new token for a slot; without `force` the old one lives on for the grace period. */
  rotateKey(id: string, options: RotateOptions | undefined, actor: Actor): Promise<KeyWithToken>
  /** Replaces a slot's token; the old value stops at once. Creates an absent secondary slot. */
  regenerateKey(id: string, slot: Slot, actor: Actor): Promise<KeyWithToken>
  /** active → deactivated; guarded against deactivating the last active standard key. */
  deactivateKey(id: string, actor: Actor, options?: DeactivateOptions): Promise<Key>
  /** deactivated → active. */
  activateKey(id: string, actor: Actor): Promise<Key>
  /** Admin: active/deactivated → blocked; kills retiring tokens. */
  blockKey(id: string, actor: Actor): Promise<Key>
  /** Admin: blocked → active. */
  unblockKey(id: string, actor: Actor): Promise<Key>
  /** Admin: moves `expiresAt` (epoch ms, or null); on an expired key, expired → active. */
  extendKey(id: string, expiresAt: number | null, actor: Actor): Promise<Key>
  /** Checks a token; returns a result for every token and throws only `unavailable`. */
  verify(token: string): Promise<VerifyResult>
  /** The effective configuration of a key with sources. Host-level: no actor. */
  resolveConfig(keyId: string): Promise<EffectiveConfig>
  /** Persists due expiries and emits `key.expired`; returns how many keys it expired. */
  expireDue(options?: ExpireDueOptions): Promise<number>
}

/** Builds the service. Throws `validation` for bad options; does no I/O until called. */
export function createKeycycle(options: KeycycleOptions): Keycycle {
  const rt = createRuntime(options)
  return {
    createOrganisation: (input) => organisations.createOrganisation(rt, input),
    getOrganisation: (id, actor) => organisations.getOrganisation(rt, id, actor),
    updateOrganisation: (id, patch, actor) =>
      organisations.updateOrganisation(rt, id, patch, actor),
    createKey: (input, actor) => keys.createKey(rt, input, actor),
    getKey: (id, actor) => queries.getKey(rt, id, actor),
    listKeys: (query, actor) => queries.listKeys(rt, query, actor),
    updateKey: (id, patch, actor) => keys.updateKey(rt, id, patch, actor),
    rotateKey: (id, opts, actor) => keys.rotateKey(rt, id, opts, actor),
    regenerateKey: (id, slot, actor) => keys.regenerateKey(rt, id, slot, actor),
    deactivateKey: (id, actor, opts) => states.deactivateKey(rt, id, actor, opts),
    activateKey: (id, actor) => states.changeState(rt, id, 'activate', actor),
    blockKey: (id, actor) => states.changeState(rt, id, 'block', actor),
    unblockKey: (id, actor) => states.changeState(rt, id, 'unblock', actor),
    extendKey: (id, expiresAt, actor) => keys.updateKey(rt, id, { expiresAt }, actor),
    verify: (token) => queries.verify(rt, token),
    resolveConfig: (keyId) => queries.resolveConfig(rt, keyId),
    expireDue: (opts) => states.expireDue(rt, opts),
  }
}
