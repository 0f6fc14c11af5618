import type { KeyRecord, RetiringToken, SlotRecord } from './types'

/**
 * What verifications recorded about one key's tokens since the last flush, by stored digest:
 * when each was last used, and the digest to store instead where a token verified under an
 * older pepper (re-digested under the current one).
 */
export interface RecordedUse {
  uses: Map<string, number>
  redigest: Map<string, string>
}

function touched<T extends SlotRecord | RetiringToken>(token: T, usage: RecordedUse): T {
  const used = usage.uses.get(token.digest)
  const digest = usage.redigest.get(token.digest)
  // Never move a time backwards: a lost race re-reads and merges with the newer value.
  const later = used !== undefined && used > (token.lastUsedAt ?? Number.NEGATIVE_INFINITY)
  if (!later && digest === undefined) return token
  return {
    ...token,
    ...(later ? { lastUsedAt: used } : {}),
    ...(digest === undefined ? {} : { digest }),
  }
}

function slot(value: SlotRecord, usage: RecordedUse): SlotRecord {
  const current = touched(value, usage)
  const retiring = value.retiring && touched(value.retiring, usage)
  return current === value && retiring === value.retiring ? value : { ...current, retiring }
}

/**
 * The record with `usage` merged in, or null when it changes nothing (every recorded use is
 * older than what is stored, or its token is gone). Only `version` moves, so the write is a
 * compare-and-set like any other; `modifiedAt` and `modifiedBy` stay: using a key is not
 * changing it.
 */
export function applyRecordedUse(record: KeyRecord, usage: RecordedUse): KeyRecord | null {
  const primary = slot(record.primary, usage)
  const secondary = record.secondary && slot(record.secondary, usage)
  if (primary === record.primary && secondary === record.secondary) return null
  return { ...record, primary, secondary, version: record.version + 1 }
}
