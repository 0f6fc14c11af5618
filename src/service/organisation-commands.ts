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
import type { KeyStore } from '../store'
import type { CompareAndSet } from './compare-and-set'
import type { Mint, NewId, Now } from './deps'
import type { OutboxEvents } from './emit'
import { loadOrganisation } from './reach'

/** What `createOrganisation` returns: the organisation, its first standard key, and its token. */
export interface CreatedOrganisation {
  organisation: Organisation
  key: Key
  token: string
}

/** What the organisation commands are built from. */
export interface OrganisationCommandDeps {
  store: KeyStore
  now: Now
  newId: NewId
  mint: Mint
  events: OutboxEvents
  compareAndSet: CompareAndSet
  trialDurationMs: number
}

/** Creating, reading and changing organisations. */
export interface OrganisationCommands {
  /**
   * Creates an organisation together with its first standard key, atomically: no reader ever
   * sees the organisation without a key. A host-level call (no actor); the key is recorded as
   * created by the organisation itself. Emits `organisation.created` and `key.created`.
   */
  createOrganisation(input: CreateOrganisationInput | undefined): Promise<CreatedOrganisation>
  /** The organisation `id` as `actor` may see it; `not_found` for a foreign or unknown one. */
  getOrganisation(actor: Actor, id: unknown): Promise<Organisation>
  /**
   * Changes organisation defaults: absent keeps, `null` reverts to the library default. Every
   * key that does not override a field sees the new value at once, with no write to the keys.
   */
  updateOrganisation(actor: Actor, id: unknown, patch: OrganisationPatch): Promise<Organisation>
}

/** The organisation commands over `deps`. */
export function organisationCommands(deps: OrganisationCommandDeps): OrganisationCommands {
  const { store, now, newId, mint, events, compareAndSet } = deps
  return {
    async createOrganisation(input) {
      const parsed = parseOrganisationInput(input, 'create', null)
      const at = now()
      const orgId = newId('org', at)
      const owner: Actor = { kind: 'organisation', id: orgId }
      const organisation = newOrganisation(parsed, orgId, owner, at)
      const keyId = newId('key', at)
      const { token, minted } = mint(keyId)
      const key = { organisation: orgId, ...parsed.key }
      const record = newKeyRecord(key, keyId, minted, owner, at, deps.trialDurationMs)
      const created = events.organisation(owner, organisation, at, {
        type: 'organisation.created',
      })
      const context = { record, organisation, now: at }
      const keyCreated = events.key(owner, context, { type: 'key.created' }, null)
      const recorded = created && keyCreated && [...created, ...keyCreated]
      if (!(await store.insertOrganisation(organisation, record, { events: recorded }))) {
        throw new KeycycleError('conflict', `organisation ${orgId} already exists`)
      }
      return { organisation, key: toKey(record, at), token }
    },

    getOrganisation: (actor, id) => loadOrganisation(store, requireOrganisationId(id), actor),

    async updateOrganisation(actor, id, patch) {
      const orgId = requireOrganisationId(id)
      const parsed = parseOrganisationInput(patch, 'patch', actor)
      const outcome = await compareAndSet(`organisation ${orgId}`, {
        read: () => loadOrganisation(store, orgId, actor),
        decide: (current: Organisation, at) => {
          const next = applyOrganisationPatch(current, parsed, actor, at)
          return next === current ? null : { write: next, expectedVersion: current.version }
        },
        write: (next, expected, current, at) => {
          const changed = changedOrganisationFields(current, next)
          const detail = { type: 'organisation.updated', changed } as const
          const recorded = events.organisation(actor, next, at, detail)
          return store.updateOrganisation(next, expected, recorded && { events: recorded })
        },
      })
      return outcome.decision ?? outcome.current
    },
  }
}
