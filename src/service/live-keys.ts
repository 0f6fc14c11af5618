import { balanceAt, type CounterState } from '../core/counters'
import { toKey } from '../core/key-view'
import type { Key, KeyRecord } from '../core/types'
import type { KeyStore } from '../store'

/**
 * Keys as reads show them: each record's view at `now`, with the live credit balance (the
 * counters', refills applied) for keys that have credits: one `readCounters` call for all of
 * them, none when no key has credits.
 */
export async function liveKeys(store: KeyStore, records: KeyRecord[], now: number): Promise<Key[]> {
  const withCredits = records.filter((record) => record.credits)
  const counters =
    withCredits.length === 0
      ? new Map<string, CounterState>()
      : await store.readCounters(withCredits.map((record) => record.id))
  return records.map((record) => {
    const key = toKey(record, now)
    const { credits } = record
    if (!credits || !key.credits) return key
    const rule = {
      initial: credits.remaining,
      generation: credits.generation,
      refill: credits.refill,
      refillFrom: credits.refillFrom,
    }
    const balance = balanceAt(counters.get(record.id)?.credits ?? null, rule, now)
    return { ...key, credits: { ...key.credits, remaining: balance.remaining } }
  })
}

/** One key as reads show it (see {@link liveKeys}). */
export async function liveKey(store: KeyStore, record: KeyRecord, now: number): Promise<Key> {
  const [key] = await liveKeys(store, [record], now)
  return key!
}
