import { newId } from '../core/ids'
import { newKeyRecord } from '../core/keys'
import { newOrganisation } from '../core/organisations'
import type { KeyWithOrganisation } from './port'

const DECOY_TIME = 1_700_000_000_000

/**
 * A decoy key and organisation, for a store to read and decode in place of an unknown key ID's
 * records, so that "no such key" costs what "wrong secret" does: records of a typical size, as
 * the core builds them for a named key, with IDs of the real shape. They hold no secret of any
 * token (the digest is random bytes) and belong to no organisation a caller can reach. `random`
 * gives fresh random bytes (default Web Crypto).
 */
export function decoyRecords(
  random: (n: number) => Uint8Array = (n) => globalThis.crypto.getRandomValues(new Uint8Array(n)),
): KeyWithOrganisation {
  const hex = Array.from(random(32), (b) => b.toString(16).padStart(2, '0')).join('')
  const organisation = newOrganisation(
    {},
    newId('org', DECOY_TIME, random(16)),
    { kind: 'system' },
    DECOY_TIME,
  )
  const key = newKeyRecord(
    { organisation: organisation.id, name: 'verification decoy' },
    newId('key', DECOY_TIME, random(16)),
    { digest: hex, hint: `*****${hex.slice(-4)}` },
    { kind: 'organisation', id: organisation.id },
    DECOY_TIME,
    0,
  )
  return { key, organisation }
}
