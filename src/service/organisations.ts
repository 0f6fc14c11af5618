import { KeycycleError } from '../core/errors'
import {
  type CreateOrganisationInput,
  type OrganisationPatch,
  parseOrganisationInput,
  requireOrganisationId,
} from '../core/inputs'
import { toKey } from '../core/key-view'
import { newKeyRecord } from '../core/keys'
import {
  applyOrganisationPatch,
  changedOrganisationFields,
  newOrganisation,
} from '../core/organisations'
import type { Actor, Key, Organisation } from '../core/types'
import { compareAndSet } from './compare-and-set'
import { keyEvents, organisationEvents } from './emit'
import { generateId, mint } from './minting'
import { loadOrganisation } from './reach'
import type { Runtime } from './runtime'

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
  const parsed = parseOrganisationInput(input, 'create', null)
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
  const events = rt.events.record
    ? [
        ...organisationEvents(rt, owner, organisation, now, { type: 'organisation.created' })!,
        ...keyEvents(rt, owner, { record, organisation, now }, { type: 'key.created' }, null)!,
      ]
    : undefined
  if (!(await rt.store.insertOrganisation(organisation, record, { events }))) {
    throw new KeycycleError('conflict', `organisation ${orgId} already exists`)
  }
  rt.events.committed()
  return { organisation, key: toKey(record, now), token }
}

/** The organisation `id` as `actor` may see it; `not_found` for a foreign or unknown one. */
export async function getOrganisation(
  rt: Runtime,
  actor: Actor,
  id: unknown,
): Promise<Organisation> {
  return loadOrganisation(rt, requireOrganisationId(id), actor)
}

/**
 * Changes organisation defaults: absent keeps, `null` reverts to the library default. Every key
 * that does not override a field sees the new value at once, with no write to the keys.
 */
export async function updateOrganisation(
  rt: Runtime,
  actor: Actor,
  id: unknown,
  patch: OrganisationPatch,
): Promise<Organisation> {
  const orgId = requireOrganisationId(id)
  const parsed = parseOrganisationInput(patch, 'patch', actor)
  const outcome = await compareAndSet(rt, `organisation ${orgId}`, {
    read: () => loadOrganisation(rt, orgId, actor),
    decide: (current: Organisation, now) => {
      const next = applyOrganisationPatch(current, parsed, actor, now)
      return next === current ? null : { write: next, expectedVersion: current.version }
    },
    write: (next, expected, current, now) => {
      const changed = changedOrganisationFields(current, next)
      const detail = { type: 'organisation.updated', changed } as const
      const events = organisationEvents(rt, actor, next, now, detail)
      return rt.store.updateOrganisation(next, expected, events && { events })
    },
  })
  if (outcome.written) rt.events.committed()
  return outcome.decision ?? outcome.current
}
