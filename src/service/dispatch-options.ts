import { invalidInput } from '../core/errors'
import type { DispatchOptions } from './options'

/** {@link DispatchOptions} with every default filled in. */
export type DispatchSettings = Required<DispatchOptions>

const DEFAULTS: DispatchSettings = {
  pollMs: 1000,
  leaseMs: 60_000,
  deliveryTimeoutMs: 30_000,
  retryBaseMs: 1000,
  retryMaxMs: 3_600_000,
  maxAttempts: 12,
  concurrency: 8,
  retentionMs: 7 * 86_400_000,
}

/** Validates dispatch options (`validation` on a bad one) and fills in the defaults. */
export function parseDispatchOptions(options: DispatchOptions | undefined): DispatchSettings {
  const out = { ...DEFAULTS }
  for (const [name, value] of Object.entries(options ?? {})) {
    if (!(name in DEFAULTS)) throw invalidInput(`dispatch.${name}`, 'is not an option')
    if (value === undefined) continue
    if (!Number.isSafeInteger(value) || value < 1) {
      throw invalidInput(`dispatch.${name}`, 'must be an integer ≥ 1')
    }
    out[name as keyof DispatchSettings] = value
  }
  if (out.deliveryTimeoutMs >= out.leaseMs) {
    throw invalidInput('dispatch.deliveryTimeoutMs', 'must be below dispatch.leaseMs')
  }
  return out
}
