import type { Candidates } from '../../core/decide-verification'
import {
  type HmacHex,
  readSignatureHeaders,
  signatureHex,
  signatureMatches,
} from '../../core/request-signature'
import { SIGNATURE_WINDOW_MS, signingMessage } from '../../core/signed-request'
import type { Slot } from '../../core/types'
import type { KeyWithOrganisation } from '../../store'
import type { SecretSealer } from '../secret-sealer'

/** A request as `kc.verifyRequest` reads it. */
export interface SignedRequestInput {
  /** The HTTP method. */
  method: string
  /** The raw path and query string as received (`req.originalUrl`, not a normalised path). */
  target: string
  /**
   * The request's headers: a `Headers` object, or a record by name (Node's lower-case names;
   * a repeated header's list never verifies).
   */
  headers: { get(name: string): string | null } | Record<string, string | string[] | undefined>
}

/** A signed request, read: what its signature covers and what it presents. */
export interface ReadSignature {
  timestamp: string
  keyId: string
  /** The exact header value: what the replay guard remembers. */
  signature: string
  presentedHex: string | null
  message: string
}

const headerReader = (headers: SignedRequestInput['headers']) => {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (name: string) =>
      (headers as { get(name: string): string | null }).get(name) ?? undefined
  }
  const record = headers as Record<string, string | string[] | undefined>
  return (name: string) => {
    const value = record[name]
    return Array.isArray(value) ? '' : value
  }
}

/**
 * The signature a request presents, or null when it carries none of the three headers or is not
 * a request at all. A missing header reads as `''`, which never verifies.
 */
export function readSignature(request: unknown): ReadSignature | null {
  const { method, target, headers } = (request ?? {}) as Partial<SignedRequestInput>
  if (typeof method !== 'string' || typeof target !== 'string' || headers == null) return null
  const presented = readSignatureHeaders(headerReader(headers))
  if (presented === null) return null
  const { timestamp, accessKey, signature } = presented
  return {
    timestamp,
    keyId: accessKey,
    signature,
    presentedHex: signatureHex(signature),
    message: signingMessage(method, target, timestamp, accessKey),
  }
}

const SLOT_OF: readonly Slot[] = ['primary', 'primary', 'secondary', 'secondary']

/**
 * Opens the sealed tokens among `found`'s candidates that this instance has not opened yet
 * (each sealing once, then remembered by the sealer), so that the decision runs synchronously.
 */
export async function openCandidates(
  sealer: SecretSealer | null,
  found: KeyWithOrganisation | null,
): Promise<void> {
  if (sealer === null || found === null || !found.key.signing) return
  const { id, primary, secondary } = found.key
  const pending: Promise<unknown>[] = []
  for (const [slot, record] of [
    ['primary', primary],
    ['secondary', secondary],
  ] as const) {
    for (const sealed of [record?.sealed, record?.retiring?.sealed]) {
      if (sealed !== undefined && sealer.opened(id, slot, sealed) === undefined) {
        pending.push(sealer.open(id, slot, sealed))
      }
    }
  }
  await Promise.all(pending)
}

/**
 * The `matches` of `decideVerification` for a signed request: the HMACs under the candidates'
 * opened tokens (a candidate without one signs nothing).
 */
export function signatureMatcher(
  sealer: SecretSealer | null,
  keyId: string,
  signed: ReadSignature,
  hmacHex: HmacHex,
): (candidates: Candidates) => number {
  return (candidates) => {
    const secrets = candidates.map((candidate, i) => {
      const sealed = candidate?.sealed
      return sealed && sealer ? (sealer.opened(keyId, SLOT_OF[i]!, sealed) ?? null) : null
    }) as unknown as Parameters<typeof signatureMatches>[2]
    return signatureMatches(signed.presentedHex, signed.message, secrets, hmacHex)
  }
}

// Sweep expired entries every this many admissions.
const SWEEP_EVERY = 1024

/**
 * The signatures this instance accepted within the window, each until its timestamp is out of
 * the window (a replay after that is `stale_signature` anyway). Per instance: behind a load
 * balancer, a replay that reaches another instance within the window is not caught.
 */
export class ReplayGuard {
  readonly #seen = new Map<string, number>()
  #admitted = 0

  /** True, remembering it, the first time `signature` is admitted at `now`; false after. */
  admit(signature: string, timestamp: string, now: number): boolean {
    if (++this.#admitted % SWEEP_EVERY === 0) this.#sweep(now)
    const until = this.#seen.get(signature)
    if (until !== undefined && until >= now) return false
    this.#seen.set(signature, Number(timestamp) + SIGNATURE_WINDOW_MS)
    return true
  }

  #sweep(now: number): void {
    for (const [signature, until] of this.#seen) if (until < now) this.#seen.delete(signature)
  }
}
