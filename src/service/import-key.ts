import type { HashFunctions } from '../core/digest'
import { invalidInput, KeycycleError } from '../core/errors'
import {
  importedHexOfRecord,
  importedSlotDigest,
  MAX_IMPORTED_TOKEN_LENGTH,
  mayBeImported,
  parseImportedDigest,
} from '../core/imported'
import { type CreateKeyInput, parseCreateKeyInput } from '../core/inputs'
import { newKeyRecord } from '../core/keys'
import { tokenHint } from '../core/token'
import type { Actor, Key } from '../core/types'
import type { KeyStore } from '../store'
import type { NewId, Now } from './deps'
import type { OutboxEvents } from './emit'
import { liveKey } from './live-keys'
import { loadOrganisation } from './reach'

/**
 * What `importKey` takes: the usual key fields (`organisation` required), and the old token
 * either as itself (`token`: digested here, never stored) or as its existing digest (`digest`:
 * the SHA-256 of the whole token, 64 hex characters or 32 bytes in base64). Exactly one of the
 * two. `hint` is the old token's last characters (up to four are kept) for a key imported by
 * digest; one imported by token takes its own.
 */
export interface ImportKeyInput extends CreateKeyInput {
  token?: string
  digest?: string
  hint?: string
}

/** What `importKey` answers: the key, and whether this call created it. */
export interface ImportedKey {
  key: Key
  /** False when the token was already imported into this organisation: nothing was written. */
  created: boolean
}

/** Imports an existing token as a key (see `ActorHandle.importKey`). */
export type ImportKey = (actor: Actor, input: ImportKeyInput | undefined) => Promise<ImportedKey>

/** What the import command is built from. */
export interface ImportKeyDeps {
  store: KeyStore
  now: Now
  newId: NewId
  events: OutboxEvents
  hashes: Pick<HashFunctions, 'sha256Hex'>
  prefix: string
  trialDurationMs: number
  maxKeysPerOrganisation: number | undefined
}

// The old token's SHA-256 (hex) and the hint to show, from exactly one of `token` and `digest`.
function readOldToken(input: ImportKeyInput, deps: ImportKeyDeps): { hex: string; hint: string } {
  const { token, digest, hint } = input
  if ((token === undefined) === (digest === undefined)) {
    throw invalidInput('token', 'give exactly one of token and digest')
  }
  if (token !== undefined) {
    if (!mayBeImported(token, deps.prefix)) {
      throw invalidInput(
        'token',
        `must be 1–${MAX_IMPORTED_TOKEN_LENGTH} characters, and not start with ${deps.prefix}_`,
      )
    }
    if (hint !== undefined) throw invalidInput('hint', 'only with digest')
    return { hex: deps.hashes.sha256Hex(token), hint: tokenHint(token) }
  }
  if (hint !== undefined && (typeof hint !== 'string' || hint.length < 1 || hint.length > 16)) {
    throw invalidInput('hint', 'must be 1–16 characters')
  }
  return {
    hex: parseImportedDigest(digest),
    hint: `*****${hint === undefined ? '' : hint.slice(-4)}`,
  }
}

/**
 * The import command. Admin only (`forbidden` otherwise). Idempotent by digest: a token whose
 * digest a key of the same organisation already holds answers that key with `created: false`;
 * one held by another organisation's key is a `conflict`. Rejects with `misconfigured` when the
 * store cannot look up imported digests.
 */
export function keyImport(deps: ImportKeyDeps): ImportKey {
  const { store, now, newId, events } = deps
  const find = store.findKeyByImportedDigest?.bind(store)
  // The key already holding `hex` in `organisation`, or null; a conflict in another one.
  const existing = async (hex: string, organisation: string): Promise<ImportedKey | null> => {
    const found = await find!(hex)
    if (found === null || importedHexOfRecord(found.key) !== hex) return null
    if (found.key.organisation !== organisation) {
      throw new KeycycleError('conflict', 'this token is imported into another organisation')
    }
    return { key: await liveKey(store, found.key, now()), created: false }
  }
  return async (actor, input) => {
    if (actor.kind !== 'admin') {
      throw new KeycycleError('forbidden', 'only an admin may import keys', {
        details: { actor: actor.kind },
      })
    }
    if (find === undefined) {
      throw new KeycycleError('misconfigured', 'the store cannot look up imported digests')
    }
    const { token: _t, digest: _d, hint: _h, ...fields } = input ?? {}
    const old = readOldToken(input ?? {}, deps)
    const parsed = parseCreateKeyInput(fields, actor)
    const organisation = await loadOrganisation(store, parsed.organisation, actor)
    const already = await existing(old.hex, organisation.id)
    if (already !== null) return already
    const at = now()
    const id = newId('key', at)
    const minted = { digest: importedSlotDigest(old.hex), hint: old.hint }
    const record = newKeyRecord(parsed, id, minted, actor, at, deps.trialDurationMs)
    const recorded = events.key(
      actor,
      { record, organisation, now: at },
      { type: 'key.created' },
      null,
    )
    const maxKeys = deps.maxKeysPerOrganisation
    if (!(await store.insertKey(record, { maxKeys, events: recorded }))) {
      // A store that keeps imported digests unique refuses a second key holding one.
      const raced = await existing(old.hex, organisation.id)
      if (raced !== null) return raced
      throw new KeycycleError('conflict', `key ${id} already exists`)
    }
    return { key: await liveKey(store, record, at), created: true }
  }
}
