import type { BucketCounter, CounterState, SpendPlan } from '../../src/core/counters'

// The usage counters in Redis: fields of the hashes they belong to, never inside `record`.
// A key's hash holds `buckets` (its own buckets) and `credits`; an organisation's hash holds
// `buckets` (its shared buckets) and, on a Cluster, `now` (see spend-scripts.ts). Formats:
// `buckets` is `<name> <at> <debt> <limit> …` per bucket (names sorted; a name is
// `[a-z0-9_-]`; see `BucketCounter`), `credits` is `<generation> <remaining> <refilledAt>`,
// every number an integer as `%.17g`, which reads back as the same float64. An absent field is
// an empty map, or no balance.

/**
 * Lua: the counters' arithmetic, a line-by-line translation of `spendCounters` and its helpers
 * (`take`, `balanceAt`, `nextRefill`) from `src/core/counters.ts`: Lua's numbers are float64,
 * as JS's are, every value an integer below 2^53, and each operation the same, so each answer
 * is the one the memory store gives. Also `readPlan(a)` (a plan from ARGV[a], as
 * {@link planArgs} lays it out), the fields' codecs, and `reply(result)`.
 */
export const COUNTERS = `
local function num(x) return string.format('%.17g', x) end

local function readBuckets(field)
  local t = {}
  if field then
    for name, at, debt, limit in string.gmatch(field, '(%S+) (%S+) (%S+) (%S+)') do
      t[name] = { at = tonumber(at), debt = tonumber(debt), limit = tonumber(limit) }
    end
  end
  return t
end
local function writeBuckets(hash, t)
  local names = {}
  for name in pairs(t) do names[#names + 1] = name end
  if #names == 0 then
    redis.call('HDEL', hash, 'buckets')
    return
  end
  table.sort(names)
  local parts = {}
  for _, name in ipairs(names) do
    local b = t[name]
    parts[#parts + 1] = name .. ' ' .. num(b.at) .. ' ' .. num(b.debt) .. ' ' .. num(b.limit)
  end
  redis.call('HSET', hash, 'buckets', table.concat(parts, ' '))
end
local function readCredits(field)
  if not field then return nil end
  local g, r, t = string.match(field, '(%S+) (%S+) (%S+)')
  return { generation = tonumber(g), remaining = tonumber(r), refilledAt = tonumber(t) }
end
local function writeCredits(hash, c)
  if c then
    redis.call('HSET', hash, 'credits',
      num(c.generation) .. ' ' .. num(c.remaining) .. ' ' .. num(c.refilledAt))
  else
    redis.call('HDEL', hash, 'credits')
  end
end

local function readPlan(a)
  local plan = { now = tonumber(ARGV[a]), cost = tonumber(ARGV[a + 1]), buckets = {} }
  local x = a + 3
  for i = 1, tonumber(ARGV[a + 2]) do
    plan.buckets[i] = { name = ARGV[x], limit = tonumber(ARGV[x + 1]),
      windowMs = tonumber(ARGV[x + 2]), shared = ARGV[x + 3] == 'o' }
    x = x + 4
  end
  if ARGV[x] == '1' then
    plan.credits = { initial = tonumber(ARGV[x + 1]), generation = tonumber(ARGV[x + 2]),
      refillFrom = tonumber(ARGV[x + 3]) }
    if ARGV[x + 4] ~= '' then
      plan.credits.refill = { amount = tonumber(ARGV[x + 4]), intervalMs = tonumber(ARGV[x + 5]) }
    end
  end
  return plan, x + 6
end

-- balanceAt(counter, rule, now)
local function balanceAt(counter, rule, now)
  local balance
  if counter ~= nil and counter.generation == rule.generation then
    balance = counter
  else
    balance = { generation = rule.generation, remaining = rule.initial, refilledAt = rule.refillFrom }
  end
  local refill = rule.refill
  if refill ~= nil and now >= rule.refillFrom + refill.intervalMs then
    local boundary =
      rule.refillFrom + math.floor((now - rule.refillFrom) / refill.intervalMs) * refill.intervalMs
    if boundary > balance.refilledAt then
      balance = { generation = rule.generation, remaining = refill.amount, refilledAt = boundary }
    end
  end
  return balance
end

-- nextRefill(rule, now); nil for none
local function nextRefill(rule, now)
  local refill = rule.refill
  if refill == nil then return nil end
  if now < rule.refillFrom then return rule.refillFrom + refill.intervalMs end
  local passed = math.floor((now - rule.refillFrom) / refill.intervalMs) + 1
  return rule.refillFrom + passed * refill.intervalMs
end

-- take(rule, stored, cost, now); retryAfterMs false for null
local function take(rule, stored, cost, now)
  local limit, windowMs = rule.limit, rule.windowMs
  local capacity = windowMs * limit
  local at, debt = now, 0
  if stored ~= nil and stored.limit == limit then
    if now <= stored.at then
      at = stored.at
      debt = stored.debt
    elseif now - stored.at < windowMs then
      debt = math.max(0, stored.debt - (now - stored.at) * limit)
    end
  end
  local need = math.max(0, debt + cost * windowMs)
  local allowed = need <= capacity
  local held = debt
  if allowed then held = need end
  local retryAfterMs = false
  if not (allowed or cost > limit) then
    retryAfterMs = at - now + math.ceil((need - capacity) / limit)
  end
  return { allowed = allowed, counter = { at = at, debt = need, limit = limit },
    remaining = math.floor((capacity - held) / windowMs),
    resetAt = at + math.ceil(held / limit), retryAfterMs = retryAfterMs }
end

-- inUse(counter, now): whether a stored bucket still holds any use (else it is full)
local function inUse(counter, now)
  return counter.at + math.ceil(counter.debt / counter.limit) > now
end

-- spendCounters(key, organisation, plan), each counter state as { buckets, credits }. Also
-- answers \`standing\` (every bucket as it stands) whatever the outcome, and when spent the
-- \`balance\` before it, for a caller that merges.
local function spendCounters(key, organisation, plan)
  local now, cost = plan.now, plan.cost
  local takes, standing = {}, {}
  local refused, waitsNull, longest = false, false, nil
  for i, rule in ipairs(plan.buckets) do
    local stored
    if rule.shared then stored = organisation.buckets[rule.name] else stored = key.buckets[rule.name] end
    takes[i] = take(rule, stored, cost, now)
    standing[i] = take(rule, stored, 0, now)
    if not takes[i].allowed then
      refused = true
      local wait = takes[i].retryAfterMs
      if wait == false then
        waitsNull = true
      elseif longest == nil or wait > longest then
        longest = wait
      end
    end
  end
  local balance = nil
  if plan.credits ~= nil then balance = balanceAt(key.credits, plan.credits, now) end
  local credits = false
  if balance ~= nil then credits = balance.remaining end
  if refused then
    local retryAfterMs = longest
    if waitsNull then retryAfterMs = false end
    return { outcome = 'rate_limited', buckets = standing, standing = standing, takes = takes,
      credits = credits, retryAfterMs = retryAfterMs }
  end
  if balance ~= nil and balance.remaining < cost then
    local nextAt = nextRefill(plan.credits, now)
    local retryAfterMs = false
    if nextAt ~= nil then retryAfterMs = nextAt - now end
    return { outcome = 'credits_exhausted', buckets = standing, standing = standing,
      takes = takes, credits = credits, retryAfterMs = retryAfterMs }
  end
  local keyBuckets, organisationBuckets = {}, {}
  for name, counter in pairs(organisation.buckets) do
    if inUse(counter, now) then organisationBuckets[name] = counter end
  end
  for i, rule in ipairs(plan.buckets) do
    if rule.shared then organisationBuckets[rule.name] = takes[i].counter
    else keyBuckets[rule.name] = takes[i].counter end
  end
  local spent = nil
  if balance ~= nil then
    spent = { generation = balance.generation, remaining = balance.remaining - cost,
      refilledAt = balance.refilledAt }
  end
  local nextCredits = key.credits
  if spent ~= nil then nextCredits = spent end
  local left = false
  if spent ~= nil then left = spent.remaining end
  return { outcome = 'spent', buckets = takes, standing = standing, takes = takes,
    credits = left, balance = credits, emptied = spent ~= nil and cost > 0 and spent.remaining == 0,
    next = { key = { buckets = keyBuckets, credits = nextCredits },
      organisation = { buckets = organisationBuckets } } }
end

local function hasShared(plan)
  for _, rule in ipairs(plan.buckets) do if rule.shared then return true end end
  return false
end

-- The outcome as one string: outcome, credits ('n': null), then for 'spent' emptied (1 or 0),
-- else retryAfterMs ('n': null), then remaining and resetAt of each bucket of \`states\`.
local function reply(result, states)
  local out = { result.outcome, 'n', 'n' }
  if result.credits then out[2] = num(result.credits) end
  if result.outcome == 'spent' then
    if result.emptied then out[3] = '1' else out[3] = '0' end
  elseif result.retryAfterMs then
    out[3] = num(result.retryAfterMs)
  end
  for _, s in ipairs(states or result.buckets) do
    out[#out + 1] = num(s.remaining)
    out[#out + 1] = num(s.resetAt)
  end
  return table.concat(out, ' ')
end
`

/**
 * A plan as `readPlan` reads it: now, cost, the number of buckets, then per bucket name, limit,
 * window and scope (`k` or `o`), then `1` and the credits rule (initial, generation, refillFrom,
 * refill amount and interval or `''`), or `0` and five blanks.
 */
export function planArgs(plan: SpendPlan): (string | number)[] {
  const args: (string | number)[] = [plan.now, plan.cost, plan.buckets.length]
  for (const b of plan.buckets) {
    args.push(b.name, b.limit, b.windowMs, b.scope === 'organisation' ? 'o' : 'k')
  }
  const c = plan.credits
  if (c === null) args.push(0, '', '', '', '', '')
  else {
    args.push(1, c.initial, c.generation, c.refillFrom)
    args.push(c.refill?.amount ?? '', c.refill?.intervalMs ?? '')
  }
  return args
}

/** A key's counters from its hash's `buckets` and `credits` fields; null when it has neither. */
export function countersFromFields(
  buckets: string | null,
  credits: string | null,
): CounterState | null {
  if (buckets === null && credits === null) return null
  const counters: Record<string, BucketCounter> = {}
  const words = buckets === null ? [] : buckets.split(' ')
  for (let i = 0; i + 3 < words.length; i += 4) {
    counters[words[i]!] = {
      at: Number(words[i + 1]),
      debt: Number(words[i + 2]),
      limit: Number(words[i + 3]),
    }
  }
  if (credits === null) return { buckets: counters, credits: null }
  const [generation, remaining, refilledAt] = credits.split(' ').map(Number) as [
    number,
    number,
    number,
  ]
  return { buckets: counters, credits: { generation, remaining, refilledAt } }
}
