import type { SpendPlan } from '../../src/core/counters'
import { COUNTERS, planArgs } from './counters-lua'
import { LATE, REFUSED_LATE, script } from './lua'
import { APPEND } from './outbox-append'

// The spend's scripts. Each reads the counters from the hashes' fields, decides with the
// translated `spendCounters` (counters-lua.ts), and writes what it returns only when the spend
// goes through. A script that writes leaves a request marker holding its reply (same slot, kept
// until past its fence), so a resend by ioredis after a reconnect answers the first reply
// instead of spending twice. Replies are one string (see `reply` in counters-lua.ts), or an
// array of the current records when a version moved, or REFUSED_LATE.

// The key's fields a spend reads, its owner (from `record` for a key written before the
// `organisation` field), and whether its version and owner are the ones asked for.
const READ_KEY = `
local function readKey(hash, version, organisation)
  local key = redis.call('HMGET', hash, 'version', 'organisation', 'buckets', 'credits')
  local owner = key[2]
  if key[1] and not owner then
    owner = cjson.decode(redis.call('HGET', hash, 'record')).organisation
  end
  return key, owner, key[1] == version and owner == organisation
end
local function keyCounters(key)
  return { buckets = readBuckets(key[3]), credits = readCredits(key[4]) }
end
-- A spend that went through: the key's counters written, the events appended (KEYS from k,
-- ARGV from a) when it emptied the balance, the reply kept under the marker for resends.
local function commitKey(hash, result, k, a, marker, out, ttl)
  writeBuckets(hash, result.next.key.buckets)
  writeCredits(hash, result.next.key.credits)
  if result.emptied then append(k, a) end
  redis.call('SET', marker, out, 'PX', ttl)
end
`

/**
 * The whole spend, standalone: both versions checked, every bucket and the credits, the writes
 * and, when the balance empties, the events (`APPEND`), in one script.
 * KEYS[1] the key's hash, KEYS[2] its organisation's, KEYS[3] the request marker (key's slot),
 * then the outbox's keys. ARGV[1] the key's version, ARGV[2] the organisation's ID, ARGV[3] its
 * version, ARGV[4] the fence, ARGV[5] the marker's lifetime (ms), ARGV[6] and ARGV[7] what
 * surrounds an organisation ID in its hash's name, then the plan (`planArgs`), then the outbox's
 * arguments. Stale: `[key record or nil, its organisation's record or nil]`.
 */
export const SPEND = script(
  LATE,
  APPEND,
  COUNTERS,
  READ_KEY,
  `
local done = redis.call('GET', KEYS[3])
if done then return done end
if late(ARGV[4]) then return ${REFUSED_LATE} end
local key, owner, fresh = readKey(KEYS[1], ARGV[1], ARGV[2])
local organisation = redis.call('HMGET', KEYS[2], 'version', 'buckets')
if not fresh or organisation[1] ~= ARGV[3] then
  local record = redis.call('HGET', KEYS[1], 'record')
  local current = false
  if record then
    local hash = KEYS[2]
    if owner ~= ARGV[2] then hash = ARGV[6] .. owner .. ARGV[7] end
    current = redis.call('HGET', hash, 'record')
  end
  return { record, current }
end
local plan, a = readPlan(8)
local result = spendCounters(keyCounters(key), { buckets = readBuckets(organisation[2]) }, plan)
local out = reply(result)
if result.outcome == 'spent' then
  if hasShared(plan) then writeBuckets(KEYS[2], result.next.organisation.buckets) end
  commitKey(KEYS[1], result, 4, a, KEYS[3], out, ARGV[5])
end
return out
`,
)

/**
 * Cluster, the key's part (its own buckets and the credits), on the key's slot. In `check`
 * mode it decides without writing and reports every bucket as it stands, for a spend the
 * organisation already refused. KEYS[1] the key's hash, KEYS[2] the request marker, then the
 * outbox's keys. ARGV[1] the key's version, ARGV[2] the organisation's ID, ARGV[3] the fence,
 * ARGV[4] the marker's lifetime, ARGV[5] `take` or `check`, then the plan, then the outbox's
 * arguments. Stale: `[key record or nil]`.
 */
export const KEY_SPEND = script(
  LATE,
  APPEND,
  COUNTERS,
  READ_KEY,
  `
local done = redis.call('GET', KEYS[2])
if done then return done end
local check = ARGV[5] == 'check'
if not check and late(ARGV[3]) then return ${REFUSED_LATE} end
local key, owner, fresh = readKey(KEYS[1], ARGV[1], ARGV[2])
if not fresh then return { redis.call('HGET', KEYS[1], 'record') } end
local plan, a = readPlan(6)
local result = spendCounters(keyCounters(key), { buckets = {} }, plan)
if check then
  if result.outcome == 'spent' then result.credits = result.balance end
  return reply(result, result.standing)
end
local out = reply(result)
if result.outcome == 'spent' then commitKey(KEYS[1], result, 3, a, KEYS[2], out, ARGV[4]) end
return out
`,
)

/**
 * Cluster, the organisation's part (its shared buckets), on its slot, first: its version checked,
 * the units taken when every shared bucket allows. A spend without shared buckets only checks
 * the version. When it takes, the reply goes on with, per bucket, the counter it set (at,
 * debt), the one it found (at, debt; `n n`: none, or counted under another limit) and the
 * bucket as it stood (remaining, resetAt), for {@link GIVE_BACK} and
 * for a refusal's report; and the hash's `now` keeps the latest `now` of any take.
 * KEYS[1] the organisation's hash, KEYS[2] the request marker (its slot). ARGV[1] its version,
 * ARGV[2] the fence, ARGV[3] the marker's lifetime, then the plan (shared buckets only, no
 * credits). Stale: `[organisation record or nil]`.
 */
export const ORGANISATION_TAKE = script(
  LATE,
  COUNTERS,
  `
local done = redis.call('GET', KEYS[2])
if done then return done end
local plan = readPlan(4)
local writes = #plan.buckets > 0
if writes and late(ARGV[2]) then return ${REFUSED_LATE} end
local organisation = redis.call('HMGET', KEYS[1], 'version', 'buckets', 'now')
if organisation[1] ~= ARGV[1] then return { redis.call('HGET', KEYS[1], 'record') } end
local stored = readBuckets(organisation[2])
local result = spendCounters({ buckets = {} }, { buckets = stored }, plan)
local out = reply(result)
if result.outcome == 'spent' and writes then
  writeBuckets(KEYS[1], result.next.organisation.buckets)
  local seen = tonumber(organisation[3])
  if seen == nil or plan.now > seen then redis.call('HSET', KEYS[1], 'now', num(plan.now)) end
  local more = {}
  for i, rule in ipairs(plan.buckets) do
    local before = stored[rule.name]
    local set = result.takes[i].counter
    more[#more + 1] = num(set.at) .. ' ' .. num(set.debt)
    if before and before.limit == rule.limit then
      more[#more + 1] = num(before.at) .. ' ' .. num(before.debt)
    else
      more[#more + 1] = 'n n'
    end
    more[#more + 1] = num(result.standing[i].remaining)
    more[#more + 1] = num(result.standing[i].resetAt)
  end
  out = out .. ' ' .. table.concat(more, ' ')
  redis.call('SET', KEYS[2], out, 'PX', ARGV[3])
end
return out
`,
)

/**
 * Cluster: gives back what {@link ORGANISATION_TAKE} took, when the key's part refused (or
 * refused past its fence, or found the key changed). Per bucket: if its counter is still the
 * one the take set, nothing came in between and the counter found before is put back exactly
 * (none found: the bucket is full again). Else other spends took since, and the cost's use
 * (`cost × windowMs`, in ms × limit) is taken back off the counter, but never more than ours
 * still held at the latest `now` any take has seen (`now`): by then a bucket that had drained
 * past our units no longer holds them, and giving them back would let them be spent twice. So
 * a give-back never returns more than the spend still holds; it returns less only when other
 * spends of the organisation came in between while the bucket was within the cost of full.
 * Applied once per request (the take's marker records it). KEYS[1] the organisation's hash,
 * KEYS[2] the take's marker. ARGV[1] the cost, ARGV[2] the marker's lifetime, then per bucket
 * name, limit, window, the counter set (at, debt) and the counter found (at, debt; `n n`: none).
 */
export const GIVE_BACK = script(
  COUNTERS,
  `
if redis.call('GET', KEYS[2]) == 'given back' then return 0 end
local fields = redis.call('HMGET', KEYS[1], 'buckets', 'now')
local buckets = readBuckets(fields[1])
local seen = tonumber(fields[2])
local cost = tonumber(ARGV[1])
for i = 3, #ARGV, 7 do
  local name = ARGV[i]
  local limit, windowMs = tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local setAt, setDebt = tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4])
  local current = buckets[name]
  if current == nil or current.limit ~= limit then
    -- Full again (pruned), or counted afresh under another limit: nothing of ours is held.
  elseif current.at == setAt and current.debt == setDebt then
    if ARGV[i + 5] == 'n' then
      buckets[name] = nil
    else
      buckets[name] = { at = tonumber(ARGV[i + 5]), debt = tonumber(ARGV[i + 6]), limit = limit }
    end
  else
    local held = setDebt
    if seen ~= nil and seen > setAt then held = math.max(0, setDebt - (seen - setAt) * limit) end
    local back = math.min(cost * windowMs, held)
    buckets[name] = { at = current.at, debt = math.max(0, current.debt - back), limit = limit }
  end
end
writeBuckets(KEYS[1], buckets)
redis.call('SET', KEYS[2], 'given back', 'PX', ARGV[2])
return 1
`,
)

/** The plan restricted to one scope's buckets (the key's part keeps the credits). */
export function partOf(plan: SpendPlan, scope: 'key' | 'organisation'): SpendPlan {
  return {
    ...plan,
    buckets: plan.buckets.filter((b) => b.scope === scope),
    credits: scope === 'key' ? plan.credits : null,
  }
}

export { planArgs }
