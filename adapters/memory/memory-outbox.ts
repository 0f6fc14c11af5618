import type { ClaimedEvent, KeyStore, OutboxEvent } from '../../src/store'

/** An outbox event as the memory store keeps it. */
export interface OutboxEntry extends ClaimedEvent {
  owner: string | null
  claimedUntil: number
  deliveredAt: number | null
}

// A claimed event as handed out: a copy, so a caller cannot change the outbox through it.
function claimed(entry: OutboxEntry): ClaimedEvent {
  const { id, subject, stream, seq, availableAt, body, attempts } = entry
  return { id, subject: { ...subject }, stream, seq, availableAt, body, attempts }
}

/**
 * The memory store's outbox: events recorded by its writes (in the same synchronous step, so
 * atomically with them), claimed, settled and pruned per the port's contract.
 */
export function memoryOutbox() {
  // Undelivered and delivered events apart: a claim walks only what is still to deliver, and
  // events kept for the retention period cost it nothing.
  const pending = new Map<string, OutboxEntry>()
  const delivered = new Map<string, OutboxEntry>()
  const api: Pick<KeyStore, 'claimEvents' | 'settleEvent' | 'pruneEvents'> &
    Required<Pick<KeyStore, 'outboxBacklog'>> = {
    async outboxBacklog(now) {
      let count = 0
      let oldest: number | null = null
      for (const entry of pending.values()) {
        if (entry.availableAt > now) continue
        count++
        if (oldest === null || entry.availableAt < oldest) oldest = entry.availableAt
      }
      return { pending: count, oldestAvailableAt: oldest }
    },

    async claimEvents(query) {
      // The head of each stream: its lowest-seq undelivered event.
      const heads = new Map<string, OutboxEntry>()
      for (const entry of pending.values()) {
        const head = heads.get(entry.stream)
        if (head === undefined || entry.seq < head.seq) heads.set(entry.stream, entry)
      }
      const out: ClaimedEvent[] = []
      for (const entry of heads.values()) {
        if (out.length === query.limit) break
        if (entry.availableAt > query.now || entry.claimedUntil > query.now) continue
        entry.owner = query.owner
        entry.claimedUntil = query.leaseUntil
        out.push(claimed(entry))
      }
      return out
    },

    async settleEvent(event, settlement) {
      const entry = pending.get(event.id)
      if (entry === undefined || entry.owner !== settlement.owner) return false
      entry.owner = null
      entry.claimedUntil = 0
      if ('deliveredAt' in settlement) {
        entry.deliveredAt = settlement.deliveredAt
        pending.delete(entry.id)
        delivered.set(entry.id, entry)
      } else {
        entry.attempts++
        entry.availableAt = settlement.retryAt
      }
      return true
    },

    async pruneEvents(deliveredBefore, limit) {
      let pruned = 0
      for (const [id, entry] of delivered) {
        if (pruned === limit) break
        if (entry.deliveredAt! <= deliveredBefore) {
          delivered.delete(id)
          pruned++
        }
      }
      return pruned
    },
  }
  return {
    ...api,
    /** Records a committed write's events; call only once the write is certain. */
    record(events: readonly OutboxEvent[] | undefined): void {
      for (const event of events ?? []) {
        const { id, subject, stream, seq, availableAt, body } = event
        pending.set(id, {
          ...{ id, subject: { ...subject }, stream, seq, availableAt, body },
          attempts: 0,
          owner: null,
          claimedUntil: 0,
          deliveredAt: null,
        })
      }
    },
    /** Deep copies of every event kept, delivered or not. */
    entries: (): OutboxEntry[] =>
      [...pending.values(), ...delivered.values()].map((e) => structuredClone(e)),
  }
}
