import { KeycycleError } from '../core/errors'
import {
  type CreateKeyInput,
  type KeyPatch,
  parseCreateKeyInput,
  parseKeyPatch,
  parseRotateOptions,
  parseSlot,
  requireKeyId,
} from '../core/inputs'
import { applyKeyPatch, newKeyRecord } from '../core/keys'
import { regenerate, rotate } from '../core/rotation'
import type { Actor, Key, Slot } from '../core/types'
import type { KeyStore } from '../store'
import type { Mint, NewId, Now } from './deps'
import type { OutboxEvents } from './emit'
import { liveKey } from './live-keys'
import type { Committed, MutateKey } from './mutate-key'
import { loadOrganisation } from './reach'
import { noSecretEncryption, type SecretSealer } from './secret-sealer'

/** A key together with the token just minted for it: the only time a token is ever returned. */
export interface KeyWithToken {
  key: Key
  token: string
}

/**
 * Options of `rotateKey`: `force` revokes the old token at once; `slot` defaults to primary;
 * `signing` turns signing on (the new token is sealed) or off (every sealed token is dropped).
 */
export interface RotateOptions {
  force?: boolean
  slot?: Slot
  signing?: boolean
}

/** What the key commands are built from. */
export interface KeyCommandDeps {
  store: KeyStore
  now: Now
  newId: NewId
  mint: Mint
  /** Seals signing keys' tokens; null without `secretEncryption`. */
  sealer: SecretSealer | null
  events: OutboxEvents
  mutateKey: MutateKey
  gracePeriodMs: number
  trialDurationMs: number
  maxKeysPerOrganisation: number | undefined
}

/** Creating, changing, rotating and regenerating keys, for an actor (see `ActorHandle`). */
export interface KeyCommands {
  createKey(actor: Actor, input: CreateKeyInput | undefined): Promise<KeyWithToken>
  updateKey(actor: Actor, id: unknown, patch: KeyPatch): Promise<Key>
  rotateKey(actor: Actor, id: unknown, options: RotateOptions | undefined): Promise<KeyWithToken>
  regenerateKey(actor: Actor, id: unknown, slot: Slot): Promise<KeyWithToken>
}

/** The key commands over `deps`. */
export function keyCommands(deps: KeyCommandDeps): KeyCommands {
  const { store, now, newId, mint, sealer, events, mutateKey } = deps
  // A fresh token for `keyId`'s `slot`, sealed too when a sealer is configured (a signing key
  // needs it; the caller drops it for any other). Minted once per command, not per attempt.
  const mintSealable = async (keyId: string, slot: Slot, signing: boolean | undefined) => {
    if (signing === true && sealer === null) throw noSecretEncryption()
    const fresh = mint(keyId)
    const sealed = sealer && (await sealer.seal(keyId, slot, fresh.token))
    const signed = sealed === null ? null : { ...fresh.minted, sealed }
    return {
      token: fresh.token,
      minted: (signing: boolean) => {
        if (!signing) return fresh.minted
        if (signed === null) throw noSecretEncryption()
        return signed
      },
    }
  }
  const withToken = async (done: Committed<unknown>, token: string): Promise<KeyWithToken> => ({
    key: await liveKey(store, done.record, done.now),
    token,
  })
  const mintPlain = (keyId: string) => {
    const fresh = mint(keyId)
    return { token: fresh.token, minted: (_signing: boolean) => fresh.minted }
  }
  return {
    async createKey(actor, input) {
      const parsed = parseCreateKeyInput(input ?? {}, actor)
      const organisation = await loadOrganisation(store, parsed.organisation, actor)
      const at = now()
      const id = newId('key', at)
      const signing = parsed.signing === true
      const { token, minted } = signing ? await mintSealable(id, 'primary', true) : mintPlain(id)
      const record = newKeyRecord(parsed, id, minted(signing), actor, at, deps.trialDurationMs)
      const context = { record, organisation, now: at }
      const recorded = events.key(actor, context, { type: 'key.created' }, null)
      const maxKeys = deps.maxKeysPerOrganisation
      if (!(await store.insertKey(record, { maxKeys, events: recorded }))) {
        throw new KeycycleError('conflict', `key ${id} already exists`)
      }
      return { key: await liveKey(store, record, at), token }
    },

    async updateKey(actor, id, patch) {
      const keyId = requireKeyId(id)
      const parsed = parseKeyPatch(patch, actor)
      const done = await mutateKey(keyId, actor, ({ key }, at) => {
        const result = applyKeyPatch(key, parsed, actor, at)
        if (result.changed.length === 0) return null
        const { stateChange, changed } = result
        return {
          record: result.record,
          result,
          event: stateChange
            ? { type: 'key.state_changed', ...stateChange }
            : { type: 'key.updated', changed },
        }
      })
      return liveKey(store, done.record, done.now)
    },

    async rotateKey(actor, id, options) {
      const keyId = requireKeyId(id)
      const { force, slot, signing } = parseRotateOptions(options, actor)
      const fresh = await mintSealable(keyId, slot, signing)
      const done = await mutateKey(keyId, actor, ({ key }, at) => {
        const minted = fresh.minted(signing ?? key.signing)
        const rotating = { slot, force, ...(signing === undefined ? {} : { signing }) }
        const rotation = rotate(key, rotating, minted, actor, at, deps.gracePeriodMs)
        const { graceEndsAt } = rotation
        return {
          record: rotation.record,
          result: graceEndsAt,
          event: { type: 'key.rotated', slot, force, graceEndsAt },
        }
      })
      return withToken(done, fresh.token)
    },

    async regenerateKey(actor, id, slot) {
      const keyId = requireKeyId(id)
      const target = parseSlot(slot)
      const fresh = await mintSealable(keyId, target, undefined)
      const done = await mutateKey(keyId, actor, ({ key }, at) => ({
        record: regenerate(key, target, fresh.minted(key.signing), actor, at),
        result: null,
        event: { type: 'key.regenerated', slot: target },
      }))
      return withToken(done, fresh.token)
    },
  }
}
