import type { OutboxEvent } from '../../src/store'
import type { Layout, OutboxIndex } from './layout'

/**
 * Lua: `append(k, a)` records a write's events, and on a standalone server touches the pending
 * index, inside the script that commits the write (called only when it commits).
 * From KEYS[k]: per event its hash, its stream's sorted set and its subject's queue; then, when
 * the index is touched here, the index's sorted set and token hash.
 * From ARGV[a]: the number of events, then per event id, subject kind, subject ID, stream, seq,
 * availableAt, body; then the number of index entries to touch, then per entry subject ID,
 * score and token.
 * An event hash holds those fields (`available` becomes a retry's time when one is asked for)
 * plus `attempts`, and while claimed `owner` and `lease`, once delivered `delivered`.
 */
export const APPEND = `
local function touch(k, a)
  local m = tonumber(ARGV[a])
  for i = 0, m - 1 do
    local e = a + 1 + i * 3
    redis.call('ZADD', KEYS[k], 'LT', ARGV[e + 1], ARGV[e])
    redis.call('HSET', KEYS[k + 1], ARGV[e], ARGV[e + 2])
  end
end
local function append(k, a)
  local n = tonumber(ARGV[a])
  for i = 0, n - 1 do
    local e, x = a + 1 + i * 7, k + i * 3
    redis.call('HSET', KEYS[x], 'id', ARGV[e], 'kind', ARGV[e + 1], 'subject', ARGV[e + 2],
      'stream', ARGV[e + 3], 'seq', ARGV[e + 4], 'available', ARGV[e + 5],
      'attempts', 0, 'body', ARGV[e + 6])
    redis.call('ZADD', KEYS[x + 1], ARGV[e + 4], ARGV[e])
    redis.call('SADD', KEYS[x + 2], ARGV[e + 3])
  end
  touch(k + n * 3, a + 1 + n * 7)
end
`

/** One entry of an outbox index to touch: lower its score to `score`, replace its token. */
export interface Touch {
  subject: string
  score: number
  token: string
}

/** The KEYS and ARGV that {@link APPEND} reads, to put after a script's own. */
export interface OutboxWrite {
  keys: string[]
  args: (string | number)[]
}

/**
 * The events' part of a write script's arguments. `index` (standalone only) is the pending
 * index the script touches itself for `touches`; without it, the caller touches the index
 * around the script (see `outbox-index.ts`) and `touches` must be empty.
 */
export function outboxWrite(
  at: Layout,
  events: readonly OutboxEvent[],
  touches: readonly Touch[],
  index: OutboxIndex | null,
): OutboxWrite {
  const keys: string[] = []
  const args: (string | number)[] = [events.length]
  for (const e of events) {
    const outbox = at.outbox(e.subject.id)
    keys.push(outbox.event(e.id), outbox.stream(e.stream), outbox.queue)
    args.push(e.id, e.subject.kind, e.subject.id, e.stream, e.seq, e.availableAt, e.body)
  }
  const inScript = index === null ? [] : touches
  if (index !== null && inScript.length > 0) keys.push(index.subjects, index.tokens)
  args.push(inScript.length)
  for (const t of inScript) args.push(t.subject, t.score, t.token)
  return { keys, args }
}

/** One touch per subject among `events`, scored by its earliest `availableAt`. */
export function touchesOf(events: readonly OutboxEvent[], token: string): Touch[] {
  const earliest = new Map<string, number>()
  for (const e of events) {
    const seen = earliest.get(e.subject.id)
    if (seen === undefined || e.availableAt < seen) earliest.set(e.subject.id, e.availableAt)
  }
  return [...earliest].map(([subject, score]) => ({ subject, score, token }))
}
