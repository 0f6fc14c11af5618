import type { KeyStore } from '../../store'
import type { Now } from '../deps'
import type { Instruments } from './instruments'

/**
 * `keycycle.outbox.pending` (events due and not delivered) and
 * `keycycle.outbox.oldest_pending.age` (seconds since the oldest of them was due), read from
 * the store's `outboxBacklog` when a reader collects; nothing when the store lacks it.
 */
export function observeOutbox(ins: Instruments, store: KeyStore, now: Now): void {
  const backlog = store.outboxBacklog?.bind(store)
  if (!backlog || !ins.metering) return
  const pending = ins.meter.createObservableGauge('keycycle.outbox.pending', {
    description: 'Outbox events due and not yet delivered',
    unit: '{event}',
  })
  const age = ins.meter.createObservableGauge('keycycle.outbox.oldest_pending.age', {
    description: 'How long the oldest undelivered due event has been due',
    unit: 's',
  })
  ins.meter.addBatchObservableCallback(
    async (result) => {
      const at = now()
      const answer = await backlog(at)
      result.observe(pending, answer.pending)
      const oldest = answer.oldestAvailableAt
      result.observe(age, oldest === null ? 0 : Math.max(0, at - oldest) / 1000)
    },
    [pending, age],
  )
}
