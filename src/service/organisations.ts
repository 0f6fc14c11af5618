import { KeycycleError } from '../core/errors'
import {
  type CreateOrganisationInput,
  type OrganisationPatch,
  parseActor,
  parseOrganisationId,
  parseOrganisationInput,
} from '../core/inputs'
import { toKey } from '../core/key-view'
import { newKeyRecord } from '../core/keys'
import { applyOrganisationPatch, newOrganisation } from '../core/organisations'
import type { Actor, Key, Organisation } from '../core/types'
import { assertReach, generateId, mint, type Runtime } from './runtime'

/** What `createOrganisation` returns: the organisation, its first standard key, and its token. */
export interface CreatedOrganisation {
  organisation: Organisation
  key: Key
  token: string
}

/**
 * Creates an organisation together with its first standard key, atomically: no reader ever
 * sees the organisation without a key. A host-level call (no actor); the key is recorded as
 * created by the organisation itself. Emits `key.created`.
 */
export async function createOrganisation(
  rt: Runtime,
  input?: CreateOrganisationInput,
): Promise<CreatedOrganisation> {
  const parsed = parseOrganisationInput(input, true)
  const now = rt.now()
  const orgId = generateId(rt, 'org', now)
  const owner: Actor = { kind: 'organisation', id: orgId }
  const organisation = newOrganisation(parsed, orgId, owner, now)
  const keyId = generateId(rt, 'key', now)
  const { token, minted } = mint(rt, keyId)
  const record = newKeyRecord(
    { organisation: orgId, ...parsed.key },
    keyId,
    minted,
    owner,
    now,
    rt.trialDurationMs,
  )
  if (!(await rt.store.insertOrganisation(organisation, record))) {
    throw new KeycycleError('conflict', `organisation ${orgId} already exists`)
  }
  await rt.emit(owner, { record, organisation, now }, { type: 'key.created' })
  return { organisation, key: toKey(record, now), token }
}

async function load(rt: Runtime, id: string, actor: Actor): Promise<Organisation> {
  assertReach(actor, id, `organisation ${id}`)
  const organisation = await rt.store.getOrganisation(id)
  if (organisation === null) throw new KeycycleError('not_found', `organisation ${id} not found`)
  return organisation
}

export async function getOrganisation(
  rt: Runtime,
  id: string,
  actor: Actor,
): Promise<Organisation> {
  const who = parseActor(actor)
  return load(rt, parseOrganisationId(id, 'id'), who)
}

/**
 * Changes organisation defaults: absent keeps, `null` reverts to the library default. Every key
 * that does not override a field sees the new value at once, with no write to the keys.
 */
export async function updateOrganisation(
  rt: Runtime,
  id: string,
  patch: OrganisationPatch,
  actor: Actor,
): Promise<Organisation> {
  const who = parseActor(actor)
  parseOrganisationId(id, 'id')
  const parsed = parseOrganisationInput(patch, false)
  for (let attempt = 1; attempt <= rt.maxAttempts; attempt++) {
    const current = await load(rt, id, who)
    const next = applyOrganisationPatch(current, parsed, who, rt.now())
    if (next === current || (await rt.store.updateOrganisation(next, current.version))) return next
  }
  throw new KeycycleError('conflict', `organisation ${id} was changed concurrently; try again`)
}
