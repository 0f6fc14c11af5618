import { KeycycleError } from '../core/errors'
import { parseSlot, requireKeyId } from '../core/inputs'
import type { Actor, Key, Slot } from '../core/types'
import type { KeyStore } from '../store'
import { liveKey } from './live-keys'
import type { MutateKey } from './mutate-key'
import { noSecretEncryption, type SecretSealer } from './secret-sealer'

/**
 * A signing key's current token of one slot, read back by an admin (`revealKey`).
 * @inline
 */
export interface RevealedToken {
  /** The key, as `getKey` shows it. */
  key: Key
  slot: Slot
  /** The slot's current token, as minted. */
  token: string
}

/**
 * Reads back the current token of a signing key's `slot` (default primary); see
 * `ActorHandle.revealKey`.
 */
export type RevealKey = (actor: Actor, id: unknown, slot?: Slot) => Promise<RevealedToken>

/** What {@link keyReveal} is built from. */
export interface RevealKeyDeps {
  store: KeyStore
  sealer: SecretSealer | null
  mutateKey: MutateKey
  /** `createKeycycle`'s `allowReveal`. */
  allowed: boolean
}

const decoder = new TextDecoder()

/**
 * Revealing over `deps`. Refuses with `forbidden` before reading anything when reveal is off or
 * the actor is not an admin. Each reveal is a write of the key (its version bumped), so that
 * `key.revealed` is recorded with it in the outbox before the token is opened and returned.
 */
export function keyReveal(deps: RevealKeyDeps): RevealKey {
  const { store, sealer, mutateKey } = deps
  return async (actor, id, slot = 'primary') => {
    if (!deps.allowed) {
      throw new KeycycleError(
        'forbidden',
        'revealing tokens is off (createKeycycle({ allowReveal: true }) turns it on)',
        { details: { actor: actor.kind } },
      )
    }
    if (actor.kind !== 'admin') {
      throw new KeycycleError('forbidden', 'only an admin may reveal a token', {
        details: { actor: actor.kind },
      })
    }
    const keyId = requireKeyId(id)
    const target = parseSlot(slot)
    if (sealer === null) throw noSecretEncryption()
    const done = await mutateKey(keyId, actor, ({ key }) => {
      const sealed = key.signing ? key[target]?.sealed : undefined
      if (sealed === undefined) {
        throw new KeycycleError(
          'conflict',
          `key ${keyId} keeps no token to reveal in its ${target} slot: only a signing key's tokens are kept (sealed)`,
        )
      }
      return {
        record: { ...key, version: key.version + 1 },
        result: sealed,
        event: { type: 'key.revealed', slot: target },
      }
    })
    const opened = await sealer.open(keyId, target, done.result)
    if (opened === null) {
      throw new KeycycleError(
        'misconfigured',
        `key ${keyId}'s ${target} token does not open under the configured secretEncryption keys`,
      )
    }
    const key = await liveKey(store, done.record, done.now)
    return { key, slot: target, token: decoder.decode(opened) }
  }
}
