import { newId } from '../../src/core/ids'
import { newKeyRecord } from '../../src/core/keys'
import type { KeyRecord } from '../../src/core/types'
import { T0 } from './clock'

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n))

/** A digest-like value, unique per call. */
export function fakeDigest(): { digest: string; hint: string } {
  const hex = Buffer.from(random(32)).toString('hex')
  return { digest: hex, hint: `*****${hex.slice(-4)}` }
}

/** A stored key record for pure-core tests: active standard key created at T0. */
export function keyRecord(overrides: Partial<KeyRecord> = {}): KeyRecord {
  const organisation = newId('org', T0, random(16))
  const record = newKeyRecord(
    { organisation },
    newId('key', T0, random(16)),
    fakeDigest(),
    { kind: 'organisation', id: organisation },
    T0,
    14 * 86_400_000,
  )
  return { ...record, ...overrides }
}
