import { actorRef, touch } from './audit'
import { mergeConfig } from './config'
import type { ParsedOrganisationInput } from './inputs'
import { ORGANISATION_FIELDS, writableNames } from './schema'
import type { Actor, Organisation, SystemActor } from './types'

/** The record of a new organisation, version 1, with the defaults `input` sets. */
export function newOrganisation(
  input: ParsedOrganisationInput,
  id: string,
  actor: Actor | SystemActor,
  now: number,
): Organisation {
  return {
    id,
    storageConfig: input.storageConfig ?? null,
    webhookConfig: input.webhookConfig ?? null,
    config: mergeConfig({}, input.config ?? null),
    rateLimits: input.rateLimits ?? null,
    allowedIps: input.allowedIps ?? null,
    createdAt: now,
    modifiedAt: now,
    modifiedBy: actorRef(actor),
    version: 1,
  }
}

/**
 * Applies a defaults patch: absent keeps, `null` reverts to the library default (for
 * `rateLimits` and `allowedIps`: none). Lists are replaced whole. Returns the organisation
 * unchanged (same version) when nothing differs.
 */
export function applyOrganisationPatch(
  organisation: Organisation,
  patch: ParsedOrganisationInput,
  actor: Actor,
  now: number,
): Organisation {
  const next: Organisation = { ...organisation }
  if (patch.storageConfig !== undefined) next.storageConfig = patch.storageConfig
  if (patch.webhookConfig !== undefined) next.webhookConfig = patch.webhookConfig
  if (patch.config !== undefined) next.config = mergeConfig(organisation.config, patch.config)
  if (patch.rateLimits !== undefined) next.rateLimits = patch.rateLimits
  if (patch.allowedIps !== undefined) next.allowedIps = patch.allowedIps
  const same = changedOrganisationFields(organisation, next).length === 0
  return same ? organisation : touch(next, actor, now)
}

// What an update may set, as the schema declares it.
const PATCHABLE = writableNames(ORGANISATION_FIELDS, 'patch') as (keyof Organisation)[]

/** The patchable fields (domain names) whose values differ between two organisations. */
export function changedOrganisationFields(before: Organisation, after: Organisation): string[] {
  return PATCHABLE.filter((field) => JSON.stringify(after[field]) !== JSON.stringify(before[field]))
}
