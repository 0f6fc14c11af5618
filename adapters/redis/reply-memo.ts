import { deepFreeze } from '../../src/core/freeze'

/** How many IDs' decoded replies are kept by default: the hot keys of a busy instance. */
export const REMEMBERED_REPLIES = 1000

/**
 * Decoded verification replies, remembered per ID together with the exact text each was decoded
 * from. A reply whose text equals the remembered one (a string comparison, far cheaper than
 * parsing ~1 KB of JSON into ~50 objects and collecting them again) gets the same deep-frozen
 * records back; any other text is decoded afresh. Because the text itself is compared, nothing
 * stale can ever be returned: a changed record is a changed text. Handing out the same record
 * objects also lets the service share one frozen view per stored version of a key.
 *
 * An unknown ID is remembered under its own ID too (with the decoy's text), so the first read of
 * any ID decodes and a repeated one does not, whether the key exists or not: the memo gives
 * away nothing about which IDs exist. When full it starts afresh, as the service's views do
 * (bounded memory, no per-call LRU bookkeeping): about 3 KB per remembered ID.
 */
export class ReplyMemo<T> {
  private readonly entries = new Map<string, { text: string; value: T }>()

  constructor(
    private readonly parse: (text: string) => T,
    private readonly max: number = REMEMBERED_REPLIES,
  ) {}

  /** `parse(text)`, deep-frozen, or the value remembered for `id` if its text was the same. */
  decode(id: string, text: string): T {
    const hit = this.entries.get(id)
    if (hit !== undefined && hit.text === text) return hit.value
    const value = deepFreeze(this.parse(text))
    if (hit === undefined && this.entries.size >= this.max) this.entries.clear()
    this.entries.set(id, { text, value })
    return value
  }
}
