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
import { toKey } from '../core/key-view'
import { applyKeyPatch, newKeyRecord } from '../core/keys'
import { regenerate, rotate } from '../core/rotation'
import type { Actor, Key, Slot } from '../core/types'
import { keyEvents } from './emit'
import { generateId, mint } from './minting'
import { type Committed, mutateKey } from './mutate-key'
import { loadOrganisation } from './reach'
import type { Runtime } from './runtime'

/** A key together with the token just minted for it: the only time a token is ever returned. */
export interface KeyWithToken {
  key: Key
  token: string
}

export async function createKey(
  rt: Runtime,
  actor: Actor,
  input: CreateKeyInput | undefined,
): Promise<KeyWithToken> {
  const parsed = parseCreateKeyInput(input ?? {}, actor)
  const organisation = await loadOrganisation(rt, parsed.organisation, actor)
  const now = rt.now()
  const id = generateId(rt, 'key', now)
  const { token, minted } = mint(rt, id)
  const record = newKeyRecord(parsed, id, minted, actor, now, rt.trialDurationMs)
  const events = keyEvents(rt, actor, { record, organisation, now }, { type: 'key.created' }, null)
  const limit = rt.maxKeysPerOrganisation
  if (!(await rt.store.insertKey(record, { maxKeys: limit, events }))) {
    throw new KeycycleError('conflict', `key ${id} already exists`)
  }
  rt.events.committed()
  return { key: toKey(record, now), token }
}

export async function updateKey(
  rt: Runtime,
  actor: Actor,
  id: unknown,
  patch: KeyPatch,
): Promise<Key> {
  const keyId = requireKeyId(id)
  const parsed = parseKeyPatch(patch, actor)
  const done = await mutateKey(rt, keyId, actor, ({ key }, now) => {
    const result = applyKeyPatch(key, parsed, actor, now)
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
  return toKey(done.record, done.now)
}

/** Options of `rotateKey`: `force` revokes the old token at once; `slot` defaults to primary. */
export interface RotateOptions {
  force?: boolean
  slot?: Slot
}

function withToken(done: Committed<unknown>, token: string): KeyWithToken {
  return { key: toKey(done.record, done.now), token }
}

export async function rotateKey(
  rt: Runtime,
  actor: Actor,
  id: unknown,
  options: RotateOptions | undefined,
): Promise<KeyWithToken> {
  const keyId = requireKeyId(id)
  const { force, slot } = parseRotateOptions(options, actor)
  let token = ''
  const done = await mutateKey(rt, keyId, actor, ({ key }, now) => {
    const fresh = mint(rt, key.id)
    token = fresh.token
    const rotation = rotate(key, { slot, force }, fresh.minted, actor, now, rt.gracePeriodMs)
    const { graceEndsAt } = rotation
    return {
      record: rotation.record,
      result: graceEndsAt,
      event: { type: 'key.rotated', slot, force, graceEndsAt },
    }
  })
  return withToken(done, token)
}

export async function regenerateKey(
  rt: Runtime,
  actor: Actor,
  id: unknown,
  slot: Slot,
): Promise<KeyWithToken> {
  const keyId = requireKeyId(id)
  const target = parseSlot(slot)
  let token = ''
  const done = await mutateKey(rt, keyId, actor, ({ key }, now) => {
    const fresh = mint(rt, key.id)
    token = fresh.token
    return {
      record: regenerate(key, target, fresh.minted, actor, now),
      result: null,
      event: { type: 'key.regenerated', slot: target },
    }
  })
  return withToken(done, token)
}
