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
  const outbox = new Map<string, OutboxEntry>()
  const api: Pick<KeyStore, 'claimEvents' | 'settleEvent' | 'pruneEvents'> = {
    async claimEvents(query) {
      // The head of each stream: its lowest-seq undelivered event.
      const heads = new Map<string, OutboxEntry>()
      for (const entry of outbox.values()) {
        if (entry.deliveredAt !== null) continue
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
      const entry = outbox.get(event.id)
      if (entry === undefined || entry.deliveredAt !== null) return false
      if (entry.owner !== settlement.owner) return false
      entry.owner = null
      entry.claimedUntil = 0
      if ('deliveredAt' in settlement) entry.deliveredAt = settlement.deliveredAt
      else {
        entry.attempts++
        entry.availableAt = settlement.retryAt
      }
      return true
    },

    async pruneEvents(deliveredBefore, limit) {
      let pruned = 0
      for (const [id, entry] of outbox) {
        if (pruned === limit) break
        if (entry.deliveredAt !== null && entry.deliveredAt <= deliveredBefore) {
          outbox.delete(id)
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
        outbox.set(id, {
          ...{ id, subject: { ...subject }, stream, seq, availableAt, body },
          attempts: 0,
          owner: null,
          claimedUntil: 0,
          deliveredAt: null,
        })
      }
    },
    /** Deep copies of every event kept, delivered or not. */
    entries: (): OutboxEntry[] => [...outbox.values()].map((e) => structuredClone(e)),
  }
}
