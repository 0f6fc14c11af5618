import type { Commands } from './client'
import type { OutboxIndex } from './layout'
import { evaluate, script } from './lua'
import type { Touch } from './outbox-append'
import type { Hint } from './outbox-scripts'

// An outbox index lists subjects (records) whose outbox holds something, each scored by a time
// hint: when its earliest event may be claimed (the pending index), or its oldest delivery (the
// delivered index, for pruning). On a Cluster it lives in its own slot, so it can never be
// written in the script that changes an outbox. Writers therefore touch it before their script
// and again after it commits: an entry may point at nothing (a write that lost), never the
// reverse, except after a crash between the script and the second touch — which the recovery
// scan (`outbox-recovery.ts`) repairs. Readers change an entry only if its token is still the
// one they read, so a writer's touch in between is never undone.

/**
 * Lowers each subject's score to the touch's (adding it if absent) and replaces its token.
 * KEYS[1] the index, KEYS[2] its tokens; ARGV triples of subject, score, token.
 */
const TOUCH = script(`
for i = 1, #ARGV, 3 do
  redis.call('ZADD', KEYS[1], 'LT', ARGV[i + 1], ARGV[i])
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
end
return 1
`)

/**
 * Up to ARGV[2] subjects scored at or before ARGV[1], lowest first, each with its token ('' for
 * none). KEYS[1] the index, KEYS[2] its tokens. Returns `[subject, token, ...]`.
 */
const DUE = script(`
local subjects = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, subject in ipairs(subjects) do
  out[#out + 1] = subject
  out[#out + 1] = redis.call('HGET', KEYS[2], subject) or ''
end
return out
`)

/**
 * Sets each subject's score to its hint, or removes the subject when the hint is '' (nothing
 * left), but only where the token is still the one read. KEYS[1] the index, KEYS[2] its tokens;
 * ARGV triples of subject, token, hint.
 */
const RESCORE = script(`
for i = 1, #ARGV, 3 do
  local subject = ARGV[i]
  if (redis.call('HGET', KEYS[2], subject) or '') == ARGV[i + 1] then
    if ARGV[i + 2] == '' then
      redis.call('ZREM', KEYS[1], subject)
      redis.call('HDEL', KEYS[2], subject)
    else
      redis.call('ZADD', KEYS[1], ARGV[i + 2], subject)
    end
  end
end
return 1
`)

/** An index entry as read: the subject, and the token to change it by. */
export interface IndexEntry {
  subject: string
  token: string
}

/** Touches `index` for each of `touches` (one round trip; none for an empty list). */
export async function touchIndex(
  commands: Commands,
  index: OutboxIndex,
  touches: readonly Touch[],
): Promise<void> {
  if (touches.length === 0) return
  const args = touches.flatMap((t) => [t.subject, t.score, t.token])
  await evaluate(commands, TOUCH, [index.subjects, index.tokens], args)
}

/** Up to `limit` entries of `index` scored at or before `upTo`, lowest score first. */
export async function dueEntries(
  commands: Commands,
  index: OutboxIndex,
  upTo: number,
  limit: number,
): Promise<IndexEntry[]> {
  const flat = (await evaluate(
    commands,
    DUE,
    [index.subjects, index.tokens],
    [upTo, limit],
  )) as string[]
  const entries: IndexEntry[] = []
  for (let i = 0; i + 1 < flat.length; i += 2) {
    entries.push({ subject: flat[i]!, token: flat[i + 1]! })
  }
  return entries
}

/** Rescores the entries read (see {@link RESCORE}); one round trip, none for an empty list. */
export async function rescore(
  commands: Commands,
  index: OutboxIndex,
  updates: readonly (IndexEntry & { hint: Hint })[],
): Promise<void> {
  if (updates.length === 0) return
  const args = updates.flatMap((u) => [u.subject, u.token, u.hint === null ? '' : u.hint])
  await evaluate(commands, RESCORE, [index.subjects, index.tokens], args)
}

/** Splits `limit` over `n` parts as evenly as possible (each ≥ 1 when `n ≤ limit`). */
export function shares(limit: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.floor(limit / n) + (i < limit % n ? 1 : 0))
}
