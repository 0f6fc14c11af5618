import { KeycycleError } from '../core/errors'
import type { Actor, KeyRecord, Organisation, SystemActor } from '../core/types'
import type { KeyStore } from '../store'

/**
 * Throws `not_found` when an organisation actor reaches for another organisation's resource:
 * a foreign key looks exactly like a missing one, so existence is never revealed.
 */
export function assertReach(actor: Actor | SystemActor, organisation: string, what: string): void {
  if (actor.kind === 'organisation' && actor.id !== organisation) {
    throw new KeycycleError('not_found', `${what} not found`)
  }
}

/** Loads a key and its organisation, hiding foreign keys as `not_found`. */
export async function loadKey(
  store: KeyStore,
  id: string,
  actor: Actor | SystemActor,
): Promise<{ key: KeyRecord; organisation: Organisation }> {
  const found = await store.getKeyWithOrganisation(id)
  if (found === null) throw new KeycycleError('not_found', `key ${id} not found`)
  assertReach(actor, found.key.organisation, `key ${id}`)
  return found
}

/** Loads an organisation the actor may reach, or throws `not_found`. */
export async function loadOrganisation(
  store: KeyStore,
  id: string,
  actor: Actor | SystemActor,
): Promise<Organisation> {
  assertReach(actor, id, `organisation ${id}`)
  const organisation = await store.getOrganisation(id)
  if (organisation === null) throw new KeycycleError('not_found', `organisation ${id} not found`)
  return organisation
}
