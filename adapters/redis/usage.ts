import { KeycycleError } from '../../src/core/errors'
import { USAGE_OUTCOMES, type UsageCount, type UsageOutcome } from '../../src/core/key-usage'
import type { CallOptions, KeyStore } from '../../src/store'
import type { Commands } from './client'
import type { FencedCall } from './fenced-call'
import type { Layout } from './layout'
import { evaluate, LATE, REFUSED_LATE, script } from './lua'

/** The subset of ioredis commands usage analytics add. */
interface UsageCommands extends Commands {
  hgetall(key: string): Promise<Record<string, string>>
}

// A batch's marker outlives the flushes that may retry it.
const BATCH_MARKER_MS = 600_000

/**
 * Adds one key's counts, at most once per batch and never past its fence. KEYS[1] the key's
 * usage hash, KEYS[2] its hours, KEYS[3] the batch's marker (all on the key's slot). ARGV[1]
 * the marker's lifetime, ARGV[2] the fence, then (hour, outcome, count) triples. Returns 1
 * when added, 0 when the batch was added before, -1 when refused past the fence.
 */
const ADD = script(
  LATE,
  `
if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
if late(ARGV[2]) then return ${REFUSED_LATE} end
for i = 3, #ARGV, 3 do
  redis.call('HINCRBY', KEYS[1], ARGV[i] .. ':' .. ARGV[i + 1], ARGV[i + 2])
  redis.call('ZADD', KEYS[2], 'NX', ARGV[i], ARGV[i])
end
redis.call('SET', KEYS[3], 1, 'PX', ARGV[1])
return 1
`,
)

/**
 * Deletes one key's counts of hours before ARGV[1]. KEYS as {@link ADD}'s first two; ARGV[2…]
 * every outcome. Returns { cells deleted, the oldest hour left or -1 }.
 */
const PRUNE = script(`
local hours = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1])
local n = 0
for _, hour in ipairs(hours) do
  local fields = {}
  for i = 2, #ARGV do fields[#fields + 1] = hour .. ':' .. ARGV[i] end
  n = n + redis.call('HDEL', KEYS[1], unpack(fields))
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. ARGV[1])
local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if #first == 0 then return { n, -1 } end
return { n, tonumber(first[2]) }
`)

/** What the usage calls are given by the store. */
export interface RedisUsageContext {
  commands: Commands
  at: Layout
  runWrite: FencedCall
  run: <T>(method: string, options: CallOptions | undefined, work: () => Promise<T>) => Promise<T>
}

/**
 * The Redis store's usage analytics. A key's counts are a hash on its own slot, fields
 * `<hour>:<outcome>`, beside a sorted set of the hours it holds; an add is one script per key
 * (HINCRBY per cell, atomic, so instances' adds sum), applied at most once per batch (a marker
 * on the key's slot: a resend, or a retry of a batch that failed half-way, adds nothing twice)
 * and never past its fence. Pruning finds keys through an index in the slot `{usage}` (key IDs
 * scored by their oldest hour, lowered before every add with `ZADD LT`), then deletes each
 * key's old cells in one script on its slot. The index is only a hint: an entry dropped by a
 * prune racing an add comes back with that key's next add.
 */
export function redisUsage(
  ctx: RedisUsageContext,
): Pick<KeyStore, 'addUsage' | 'readUsage' | 'pruneUsage'> {
  const { at, runWrite, run } = ctx
  const commands = ctx.commands as UsageCommands

  return {
    addUsage: (counts, options) =>
      runWrite('addUsage', options, async (fence) => {
        const byKey = new Map<string, UsageCount[]>()
        for (const count of counts) {
          const list = byKey.get(count.keyId)
          if (list === undefined) byKey.set(count.keyId, [count])
          else list.push(count)
        }
        if (byKey.size === 0) return
        const index: (string | number)[] = []
        for (const [keyId, list] of byKey) {
          index.push(Math.min(...list.map((c) => c.hour)), keyId)
        }
        // Indexed first: counts a prune can find are never unindexed.
        await commands.zadd(at.usageKeys, 'LT', ...index)
        const batch = options?.batch ?? globalThis.crypto.randomUUID()
        const replies = await Promise.all(
          [...byKey].map(([keyId, list]) =>
            evaluate(
              commands,
              ADD,
              [at.usage(keyId), at.usageHours(keyId), at.marker(keyId, `usage:${batch}`)],
              [BATCH_MARKER_MS, fence, ...list.flatMap((c) => [c.hour, c.outcome, c.count])],
            ),
          ),
        )
        if (replies.includes(REFUSED_LATE)) {
          throw new KeycycleError('unavailable', 'redis: addUsage refused: its deadline had passed')
        }
      }),

    readUsage: (keyId, from, to, options) =>
      run('readUsage', options, async () => {
        const cells = await commands.hgetall(at.usage(keyId))
        const out: UsageCount[] = []
        for (const [field, value] of Object.entries(cells)) {
          const cut = field.indexOf(':')
          const hour = Number(field.slice(0, cut))
          if (hour >= from && hour < to) {
            const outcome = field.slice(cut + 1) as UsageOutcome
            out.push({ keyId, hour, outcome, count: Number(value) })
          }
        }
        return out
      }),

    pruneUsage: (before, limit, options) =>
      run('pruneUsage', options, async () => {
        const found = await commands.zrangebyscore(
          at.usageKeys,
          '-inf',
          `(${before}`,
          'WITHSCORES',
          'LIMIT',
          0,
          limit,
        )
        let pruned = 0
        for (let i = 0; i < found.length; i += 2) {
          const keyId = found[i]!
          const [n, oldest] = (await evaluate(
            commands,
            PRUNE,
            [at.usage(keyId), at.usageHours(keyId)],
            [before, ...USAGE_OUTCOMES],
          )) as [number, number]
          pruned += n
          if (oldest === -1) await commands.zrem(at.usageKeys, keyId)
          else await commands.zadd(at.usageKeys, oldest, keyId)
        }
        return pruned
      }),
  }
}
