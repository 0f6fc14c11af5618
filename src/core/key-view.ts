import { effectiveState } from './expiry'
import type { Key, KeyRecord, SlotRecord, TokenSlot } from './types'

function slotView(slot: SlotRecord, now: number): TokenSlot {
  const live = slot.retiring !== null && slot.retiring.until > now ? slot.retiring : null
  return {
    hint: slot.hint,
    rotatedAt: slot.rotatedAt,
    retiringUntil: live?.until ?? null,
    lastUsedAt: slot.lastUsedAt,
    retiringLastUsedAt: live?.lastUsedAt ?? null,
  }
}

/**
 * The public view of a record at `now`: effective state, hints only, dead grace windows hidden,
 * credits as `{ remaining, refill }` (the balance last set, without the counters' anchors).
 */
export function toKey(record: KeyRecord, now: number): Key {
  return {
    id: record.id,
    organisation: record.organisation,
    type: record.type,
    state: effectiveState(record, now),
    name: record.name,
    description: record.description,
    config: { ...record.config },
    storageConfig: record.storageConfig,
    webhookConfig: record.webhookConfig,
    permissions: [...record.permissions],
    metadata: record.metadata,
    createdAt: record.createdAt,
    modifiedAt: record.modifiedAt,
    modifiedBy: record.modifiedBy,
    expiresAt: record.expiresAt,
    primary: slotView(record.primary, now),
    secondary: record.secondary && slotView(record.secondary, now),
    // Copies, as for permissions: the caller's view never shares the record's lists.
    rateLimits: record.rateLimits?.map((limit) => ({ ...limit })) ?? null,
    credits: record.credits && {
      remaining: record.credits.remaining,
      refill: record.credits.refill && { ...record.credits.refill },
    },
    allowedIps: record.allowedIps ? [...record.allowedIps] : null,
    signing: record.signing,
    signatureOnly: record.signatureOnly,
    version: record.version,
  }
}
