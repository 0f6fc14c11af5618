import type { ClaimedEvent } from '../../src/store'
import type { Commands } from './client'
import type { SubjectOutbox } from './layout'
import { evaluate, script } from './lua'

/**
 * Lua: `visit(queue, base, now, owner, lease, max)` walks the head (lowest `seq`) of each
 * stream in a subject's queue, claims up to `max` heads that are due (`available ≤ now`) and not
 * under a live claim (`lease ≤ now`), and returns the claimed events' fields (8 per event)
 * with the subject's next time hint: the earliest time one of its heads may be claimed (a
 * head's `available` or live lease; a claimed head's new lease), `''` when nothing is queued.
 * Drops streams left empty from the queue. With `max` 0 it only computes the hint.
 */
const VISIT = `
local FIELDS = { 'id', 'kind', 'subject', 'stream', 'seq', 'available', 'attempts', 'body' }
local function visit(queue, base, now, owner, lease, max)
  local out, hint, hintText, claimed = {}, nil, '', 0
  for _, stream in ipairs(redis.call('SMEMBERS', queue)) do
    local ids = base .. 'stream:' .. stream
    local head = redis.call('ZRANGE', ids, 0, 0)[1]
    local times = head and redis.call('HMGET', base .. 'event:' .. head, 'available', 'lease')
    if not head then
      redis.call('SREM', queue, stream)
    elseif not times[1] then
      -- An event hash removed by hand: forget it, the stream's next event comes up next time.
      redis.call('ZREM', ids, head)
    else
      local atText = times[1]
      if times[2] and tonumber(times[2]) > tonumber(atText) then atText = times[2] end
      if tonumber(atText) <= now and claimed < max then
        local event = base .. 'event:' .. head
        redis.call('HSET', event, 'owner', owner, 'lease', lease)
        local fields = redis.call('HMGET', event, unpack(FIELDS))
        for i = 1, #FIELDS do out[#out + 1] = fields[i] end
        claimed = claimed + 1
        atText = lease
      end
      if not hint or tonumber(atText) < hint then hint, hintText = tonumber(atText), atText end
    end
  end
  table.insert(out, 1, hintText)
  return out
end
`

/**
 * Claims due stream heads of one subject. KEYS[1] the subject's queue. ARGV[1] the names'
 * base, ARGV[2] the owner, ARGV[3] now, ARGV[4] the lease's end, ARGV[5] the most to claim.
 * Returns `[hint, ...8 fields per claimed event]` (see `visit`).
 */
const CLAIM = script(
  VISIT,
  `return visit(KEYS[1], ARGV[1], tonumber(ARGV[3]), ARGV[2], ARGV[4], tonumber(ARGV[5]))`,
)

/**
 * Ends one claim, only while `owner` holds it at the claimed attempt and it is undelivered.
 * KEYS[1] the event hash, KEYS[2] its stream, KEYS[3] the subject's queue, KEYS[4] its sent set.
 * ARGV[1] the names' base, ARGV[2] the owner, ARGV[3] the attempts at claim, ARGV[4] `d`
 * (delivered) or `r` (retry), ARGV[5] deliveredAt or retryAt. Delivered: leaves its stream (the
 * next event becomes the head) for the sent set. Retry: available again at `retryAt`, attempts + 1.
 * Returns `[1, hint]`, or `[0]` when the claim was not the owner's any more.
 */
const SETTLE = script(
  VISIT,
  `
local f = redis.call('HMGET', KEYS[1], 'owner', 'attempts', 'delivered', 'stream', 'id')
if f[1] ~= ARGV[2] or f[2] ~= ARGV[3] or f[3] then return { 0 } end
redis.call('HDEL', KEYS[1], 'owner', 'lease')
if ARGV[4] == 'd' then
  redis.call('HSET', KEYS[1], 'delivered', ARGV[5])
  redis.call('ZREM', KEYS[2], f[5])
  if redis.call('ZCARD', KEYS[2]) == 0 then redis.call('SREM', KEYS[3], f[4]) end
  redis.call('ZADD', KEYS[4], ARGV[5], f[5])
else
  redis.call('HSET', KEYS[1], 'available', ARGV[5], 'attempts', tonumber(f[2]) + 1)
end
return { 1, visit(KEYS[3], ARGV[1], -math.huge, '', '', 0)[1] }
`,
)

/**
 * Deletes up to ARGV[3] of a subject's delivered events delivered at or before ARGV[2].
 * KEYS[1] the subject's sent set; ARGV[1] the names' base. Returns `[deleted, hint]`, the hint
 * being the oldest remaining delivery time, `''` when none remain.
 */
const PRUNE = script(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  redis.call('DEL', ARGV[1] .. 'event:' .. id)
  redis.call('ZREM', KEYS[1], id)
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return { #ids, oldest[2] or '' }
`)

/** A subject's next time hint from a script: a number, or null when it holds nothing more. */
export type Hint = number | null

const hintOf = (text: unknown): Hint => (text === '' || text == null ? null : Number(text))

/**
 * Runs {@link CLAIM} on one subject's slot. `base` carries the client's own `keyPrefix` (names
 * built inside a script get none from ioredis).
 */
export async function claimSubject(
  commands: Commands,
  outbox: SubjectOutbox,
  base: string,
  query: { owner: string; now: number; leaseUntil: number },
  max: number,
): Promise<{ events: ClaimedEvent[]; hint: Hint }> {
  const reply = (await evaluate(
    commands,
    CLAIM,
    [outbox.queue],
    [base, query.owner, query.now, query.leaseUntil, max],
  )) as string[]
  const events: ClaimedEvent[] = []
  for (let i = 1; i + 7 < reply.length; i += 8) {
    const [id, kind, subject, stream, seq, available, attempts, body] = reply.slice(i, i + 8)
    events.push({
      id: id!,
      subject: { kind: kind as ClaimedEvent['subject']['kind'], id: subject! },
      stream: stream!,
      seq: Number(seq),
      availableAt: Number(available),
      body: body!,
      attempts: Number(attempts),
    })
  }
  return { events, hint: hintOf(reply[0]) }
}

/** Runs {@link SETTLE}: null when the claim was not the owner's any more, else the hint. */
export async function settleClaim(
  commands: Commands,
  outbox: SubjectOutbox,
  base: string,
  event: ClaimedEvent,
  owner: string,
  outcome: { delivered: boolean; at: number },
): Promise<{ hint: Hint } | null> {
  const reply = (await evaluate(
    commands,
    SETTLE,
    [outbox.event(event.id), outbox.stream(event.stream), outbox.queue, outbox.sent],
    [base, owner, event.attempts, outcome.delivered ? 'd' : 'r', outcome.at],
  )) as [number, string?]
  return reply[0] === 1 ? { hint: hintOf(reply[1]) } : null
}

/** Runs {@link PRUNE}: how many went, and the oldest remaining delivery time. */
export async function pruneSubject(
  commands: Commands,
  outbox: SubjectOutbox,
  base: string,
  deliveredBefore: number,
  max: number,
): Promise<{ deleted: number; hint: Hint }> {
  const [deleted, hint] = (await evaluate(
    commands,
    PRUNE,
    [outbox.sent],
    [base, deliveredBefore, max],
  )) as [number, string]
  return { deleted, hint: hintOf(hint) }
}
