import { actorRef, touch } from './audit'
import { mergeConfig } from './config'
import type { CreateOrganisationInput, OrganisationPatch } from './inputs'
import type { Actor, Organisation, SystemActor } from './types'

/** The record of a new organisation, version 1. */
export function newOrganisation(
  input: CreateOrganisationInput,
  id: string,
  actor: Actor | SystemActor,
  now: number,
): Organisation {
  return {
    id,
    storageConfig: input.storageConfig ?? null,
    webhookConfig: input.webhookConfig ?? null,
    config: mergeConfig({}, input.config ?? null),
    rateLimits: null,
    allowedIps: null,
    createdAt: now,
    modifiedAt: now,
    modifiedBy: actorRef(actor),
    version: 1,
  }
}

/**
 * Applies a defaults patch: absent keeps, `null` reverts to the library default. Returns the
 * organisation unchanged (same version) when nothing differs.
 */
export function applyOrganisationPatch(
  organisation: Organisation,
  patch: OrganisationPatch,
  actor: Actor,
  now: number,
): Organisation {
  const next: Organisation = { ...organisation }
  if (patch.storageConfig !== undefined) next.storageConfig = patch.storageConfig
  if (patch.webhookConfig !== undefined) next.webhookConfig = patch.webhookConfig
  if (patch.config !== undefined) next.config = mergeConfig(organisation.config, patch.config)
  const same = changedOrganisationFields(organisation, next).length === 0
  return same ? organisation : touch(next, actor, now)
}

/** The patchable fields (domain names) whose values differ between two organisations. */
export function changedOrganisationFields(before: Organisation, after: Organisation): string[] {
  const changed: string[] = []
  if (after.storageConfig !== before.storageConfig) changed.push('storageConfig')
  if (after.webhookConfig !== before.webhookConfig) changed.push('webhookConfig')
  if (JSON.stringify(after.config) !== JSON.stringify(before.config)) changed.push('config')
  return changed
}
