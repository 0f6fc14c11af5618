import type { KeyRecord, Organisation } from '../../src/core/types'

// Records are kept as JSON, written whole by each write: one written before a field existed
// lacks it. These give such a record the field's value for "never set", so that every read
// answers every field.

/**
 * `key` (freshly parsed, not yet frozen) with usage control's fields null where absent, and
 * signing's false.
 */
export function keyRecordOf(key: KeyRecord): KeyRecord {
  key.rateLimits ??= null
  key.credits ??= null
  key.allowedIps ??= null
  key.signing ??= false
  key.signatureOnly ??= false
  return key
}

/** `organisation` (freshly parsed) with usage control's defaults null where absent. */
export function organisationOf(organisation: Organisation): Organisation {
  organisation.rateLimits ??= null
  organisation.allowedIps ??= null
  return organisation
}
