import { KeycycleError } from '../core/errors'
import {
  type CreateKeyInput,
  type KeyPatch,
  parseActor,
  parseCreateKeyInput,
  parseKeyId,
  parseKeyPatch,
  parseSlot,
} from '../core/inputs'
import { toKey } from '../core/key-view'
import { applyKeyPatch, newKeyRecord } from '../core/keys'
import { regenerate, rotate } from '../core/rotation'
import type { Actor, Key, Slot } from '../core/types'
import { readBoolean, readObject } from '../core/validate'
import { assertReach, type Committed, generateId, mint, mutateKey, type Runtime } from './runtime'

/** A key together with the token just minted for it: the only time a token is ever returned. */
export interface KeyWithToken {
  key: Key
  token: string
}

export async function createKey(
  rt: Runtime,
  input: CreateKeyInput,
  actor: Actor,
): Promise<KeyWithToken> {
  const who = parseActor(actor)
  const parsed = parseCreateKeyInput(input, who)
  assertReach(who, parsed.organisation, `organisation ${parsed.organisation}`)
  const organisation = await rt.store.getOrganisation(parsed.organisation)
  if (organisation === null) {
    throw new KeycycleError('not_found', `organisation ${parsed.organisation} not found`)
  }
  const now = rt.now()
  const id = generateId(rt, 'key', now)
  const { token, minted } = mint(rt, id)
  const record = newKeyRecord(parsed, id, minted, who, now, rt.trialDurationMs)
  if (!(await rt.store.insertKey(record)))
    throw new KeycycleError('conflict', `key ${id} already exists`)
  await rt.emit(who, { record, organisation, now }, { type: 'key.created' })
  return { key: toKey(record, now), token }
}

export async function updateKey(
  rt: Runtime,
  id: string,
  patch: KeyPatch,
  actor: Actor,
): Promise<Key> {
  const who = parseActor(actor)
  parseKeyId(id)
  const parsed = parseKeyPatch(patch, who)
  const done = await mutateKey(rt, id, who, ({ key }, now) => {
    const result = applyKeyPatch(key, parsed, who, now)
    return result.changed.length === 0 ? null : { record: result.record, result }
  })
  if (done.written) {
    const { stateChange, changed } = done.result
    await rt.emit(
      who,
      done,
      stateChange
        ? { type: 'key.state_changed', ...stateChange }
        : { type: 'key.updated', changed },
    )
  }
  return toKey(done.record, done.now)
}

/** Options of `rotateKey`: `force` revokes the old token at once; `slot` defaults to primary. */
export interface RotateOptions {
  force?: boolean
  slot?: Slot
}

function parseRotateOptions(options: unknown): { force: boolean; slot: Slot } {
  const record = readObject(options ?? {}, 'options', ['force', 'slot'])
  return {
    force: record.force === undefined ? false : readBoolean(record.force, 'force'),
    slot: record.slot === undefined ? 'primary' : parseSlot(record.slot),
  }
}

function withToken(done: Committed<unknown>, token: string): KeyWithToken {
  return { key: toKey(done.record, done.now), token }
}

export async function rotateKey(
  rt: Runtime,
  id: string,
  options: RotateOptions | undefined,
  actor: Actor,
): Promise<KeyWithToken> {
  const who = parseActor(actor)
  parseKeyId(id)
  const { force, slot } = parseRotateOptions(options)
  let token = ''
  const done = await mutateKey(rt, id, who, ({ key }, now) => {
    const fresh = mint(rt, key.id)
    token = fresh.token
    const rotation = rotate(key, { slot, force }, fresh.minted, who, now, rt.gracePeriodMs)
    return { record: rotation.record, result: rotation.graceEndsAt }
  })
  await rt.emit(who, done, { type: 'key.rotated', slot, force, graceEndsAt: done.result })
  return withToken(done, token)
}

export async function regenerateKey(
  rt: Runtime,
  id: string,
  slot: Slot,
  actor: Actor,
): Promise<KeyWithToken> {
  const who = parseActor(actor)
  parseKeyId(id)
  const target = parseSlot(slot)
  let token = ''
  const done = await mutateKey(rt, id, who, ({ key }, now) => {
    const fresh = mint(rt, key.id)
    token = fresh.token
    return { record: regenerate(key, target, fresh.minted, who, now), result: null }
  })
  await rt.emit(who, done, { type: 'key.regenerated', slot: target })
  return withToken(done, token)
}
