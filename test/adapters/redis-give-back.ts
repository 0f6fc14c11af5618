import { describe, expect } from 'vitest'
import type { Commands } from '../../adapters/redis/client'
import { evaluate } from '../../adapters/redis/lua'
import { GIVE_BACK, ORGANISATION_TAKE, planArgs } from '../../adapters/redis/spend-scripts'
import { ADMIN, randomBytes, type StoreSuiteContext, T0 } from '../../src/conformance'
import type { SpendPlan } from '../../src/core/counters'
import { newId } from '../../src/core/ids'
import type { RedisOpenStore } from './redis-harness'

// One shared bucket of 4 units a 4 s window: a unit is 4000 of its use (ms × limit), 1000 ms.
const shared = (now: number): SpendPlan => ({
  now,
  cost: 1,
  buckets: [{ name: 'b', limit: 4, windowMs: 4000, scope: 'organisation' }],
  credits: null,
})

/**
 * Through `redisExtras`: a Cluster spend takes the organisation's units first and gives them
 * back when the key's part refuses. The scripts run on one slot, so they are shown on both
 * topologies, with the interleavings the service cannot force: another spend in between, and
 * the bucket refilled past the units in between.
 */
export function giveBackExtras() {
  return ({ test }: StoreSuiteContext<RedisOpenStore>): void => {
    describe('organisation units given back (Cluster spends)', () => {
      const fixture = async ({ raw, prefix }: RedisOpenStore) => {
        const id = newId('org', T0, randomBytes(16))
        const hash = `${prefix}{${id}}:org`
        await raw.hset(hash, 'version', '1', 'record', JSON.stringify({ id, by: ADMIN.id }))
        const commands = raw as unknown as Commands
        const marker = () => `${prefix}{${id}}:req:${globalThis.crypto.randomUUID()}`
        const take = async (now: number) => {
          const mark = marker()
          const reply = (await evaluate(
            commands,
            ORGANISATION_TAKE,
            [hash, mark],
            ['1', '', 60_000, ...planArgs(shared(now))],
          )) as string
          // outcome, credits, emptied, the bucket (remaining, resetAt), then the counter set
          // (at, debt) and the one found (at, debt, or n n).
          const words = reply.split(' ')
          return { mark, words, counters: words.slice(5, 9) }
        }
        const giveBack = (t: { mark: string; counters: string[] }) =>
          evaluate(commands, GIVE_BACK, [hash, t.mark], [1, 60_000, 'b', 4, 4000, ...t.counters])
        const buckets = () => raw.hget(hash, 'buckets')
        return { take, giveBack, buckets }
      }

      test('restores the counter it found when nothing came in between, once', async (opened) => {
        const { take, giveBack, buckets } = await fixture(opened)
        const first = await take(T0)
        const second = await take(T0)
        expect(await buckets()).toBe(`b ${T0} 8000 4`)
        await giveBack(second)
        expect(await buckets()).toBe(`b ${T0} 4000 4`)
        await giveBack(second) // a resend: applied once
        expect(await buckets()).toBe(`b ${T0} 4000 4`)
        await giveBack(first)
        expect(await buckets()).toBeNull()
      })

      test('takes its units off the counter when another spend came in between', async (opened) => {
        const { take, giveBack, buckets } = await fixture(opened)
        const ours = await take(T0)
        await take(T0 + 100)
        // At T0 + 100 ours had drained by 400 (100 ms × 4): 3600 + the other's 4000.
        expect(await buckets()).toBe(`b ${T0 + 100} 7600 4`)
        await giveBack(ours)
        // As if only the other spend had taken: the bucket full at T0 + 100, its unit ends at
        // T0 + 1100 (only 900 ms of ours were still held when it came).
        expect(await buckets()).toBe(`b ${T0 + 100} 4000 4`)
      })

      test('gives back nothing of units that had refilled before another spend came', async (opened) => {
        const { take, giveBack, buckets } = await fixture(opened)
        const ours = await take(T0)
        // At T0 + 5000 the bucket is full again: the other spend starts afresh.
        await take(T0 + 5000)
        expect(await buckets()).toBe(`b ${T0 + 5000} 4000 4`)
        await giveBack(ours)
        expect(await buckets()).toBe(`b ${T0 + 5000} 4000 4`)
      })
    })
  }
}
