import { KeycycleError } from '../core/errors'
import {
  formatSealed,
  kekOf,
  parseSealed,
  SEAL_IV_BYTES,
  type SecretEncryptionKey,
  sealBinding,
} from '../core/sealed-secret'
import type { Slot } from '../core/types'
import type { Bytes } from './deps'

/**
 * Seals and opens signing keys' tokens: AES-256-GCM with Web Crypto, the IV from the service's
 * random source, the key's ID and slot as additional authenticated data (`sealBinding`).
 */
export interface SecretSealer {
  /** The current KEK's ID: what new sealings name. */
  readonly current: string
  /** `token` sealed under the current KEK for `keyId`'s `slot`. */
  seal(keyId: string, slot: Slot, token: string): Promise<string>
  /**
   * The token a stored sealing holds, as UTF-8 bytes (an HMAC key), or null when it does not
   * open: its KEK is not configured, or it was sealed for another key or slot, or altered.
   * Remembered per (key, slot, sealing): a verification opens each sealing once.
   */
  open(keyId: string, slot: Slot, sealed: string): Promise<Uint8Array | null>
  /** What {@link open} remembered, without opening: undefined when it has not been opened. */
  opened(keyId: string, slot: Slot, sealed: string): Uint8Array | null | undefined
  /** True when `sealed` names a KEK other than the current one. */
  isOutdated(sealed: string): boolean
}

// Opened secrets kept; a bounded map cleared when full is cheaper than an LRU on every call.
const MEMO_SIZE = 10_000

type Subtle = {
  importKey(
    format: 'raw',
    key: Uint8Array,
    algorithm: 'AES-GCM',
    extractable: false,
    usages: ('encrypt' | 'decrypt')[],
  ): Promise<unknown>
  encrypt(algorithm: object, key: unknown, data: Uint8Array): Promise<ArrayBuffer>
  decrypt(algorithm: object, key: unknown, data: Uint8Array): Promise<ArrayBuffer>
}

const subtle = () => (globalThis as unknown as { crypto: { subtle: Subtle } }).crypto.subtle
const utf8 = new TextEncoder()
const text = new TextDecoder()

/** A sealer over `keys` (validated, first current), IVs from `bytes`. */
export function secretSealer(keys: readonly SecretEncryptionKey[], bytes: Bytes): SecretSealer {
  const imported = new Map(
    keys.map(({ id, key }) => [
      id,
      subtle().importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']),
    ]),
  )
  const current = keys[0]!.id
  const memo = new Map<string, Uint8Array | null>()
  const memoKey = (keyId: string, slot: Slot, sealed: string) => `${keyId}\n${slot}\n${sealed}`

  const remember = (at: string, value: Uint8Array | null) => {
    if (memo.size >= MEMO_SIZE) memo.clear()
    memo.set(at, value)
    return value
  }

  async function unseal(keyId: string, slot: Slot, sealed: string): Promise<Uint8Array | null> {
    const parts = parseSealed(sealed)
    const kek = parts && imported.get(parts.kekId)
    if (!parts || !kek) return null
    const additionalData = utf8.encode(sealBinding(keyId, slot))
    try {
      const plain = await subtle().decrypt(
        { name: 'AES-GCM', iv: parts.iv, additionalData },
        await kek,
        parts.box,
      )
      return new Uint8Array(plain)
    } catch {
      return null // the tag did not verify: another record's sealing, or altered
    }
  }

  return {
    current,
    async seal(keyId, slot, token) {
      const iv = bytes(SEAL_IV_BYTES)
      const additionalData = utf8.encode(sealBinding(keyId, slot))
      const box = await subtle().encrypt(
        { name: 'AES-GCM', iv, additionalData },
        await imported.get(current)!,
        utf8.encode(token),
      )
      return formatSealed({ kekId: current, iv, box: new Uint8Array(box) })
    },
    async open(keyId, slot, sealed) {
      const at = memoKey(keyId, slot, sealed)
      const known = memo.get(at)
      if (known !== undefined) return known
      return remember(at, await unseal(keyId, slot, sealed))
    },
    opened: (keyId, slot, sealed) => memo.get(memoKey(keyId, slot, sealed)),
    isOutdated: (sealed) => kekOf(sealed) !== current,
  }
}

/** The token inside opened bytes, for a re-sealing. */
export const tokenOf = (opened: Uint8Array): string => text.decode(opened)

/** The fault for a signing key on an instance without `secretEncryption`. */
export function noSecretEncryption(): KeycycleError {
  return new KeycycleError(
    'validation',
    'signing: a signing key needs the secretEncryption option (the keys its tokens are sealed under)',
    { details: { field: 'signing' } },
  )
}
