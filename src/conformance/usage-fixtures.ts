import type { BucketRule, CreditsRule, SpendPlan } from '../core/counters'
import { newId } from '../core/ids'
import { newOrganisation } from '../core/organisations'
import type { KeyRecord, Organisation } from '../core/types'
import type { ClaimedEvent, KeyStore, OutboxEvent, SpendRequest } from '../store'
import { ADMIN, DAY, keyRecord, randomBytes, T0 } from './fixtures'

/** Every store call of the usage suite gets a generous deadline: races, not timeouts, are tested. */
export const roomy = () => ({ deadline: Date.now() + 30_000 })

/** An organisation and `count` keys of it, stored. */
export async function seedKeys(
  store: KeyStore,
  count = 1,
): Promise<{ organisation: Organisation; keys: KeyRecord[] }> {
  const organisation = newOrganisation({}, newId('org', T0, randomBytes(16)), ADMIN, T0)
  const keys = Array.from({ length: count }, () => keyRecord({ organisation: organisation.id }))
  if (!(await store.insertOrganisation(organisation, keys[0]!))) throw new Error('not inserted')
  for (const key of keys.slice(1)) {
    if (!(await store.insertKey(key))) throw new Error('not inserted')
  }
  return { organisation, keys }
}

/** A spend request of `key` in `organisation`, as they are. */
export function spendOf(
  key: KeyRecord,
  organisation: Organisation,
  plan: SpendPlan,
  eventsIfEmptied?: () => readonly OutboxEvent[],
): SpendRequest {
  return {
    keyId: key.id,
    keyVersion: key.version,
    organisationId: organisation.id,
    organisationVersion: organisation.version,
    plan,
    ...(eventsIfEmptied && { eventsIfEmptied }),
  }
}

/** A rate limit's bucket rule. */
export const bucket = (
  name: string,
  limit: number,
  windowMs: number,
  scope: BucketRule['scope'] = 'key',
): BucketRule => ({ name, limit, windowMs, scope })

/** A credits rule: `initial` credits set at T0 (generation 1), no refill unless given. */
export const credits = (initial: number, refill: CreditsRule['refill'] = null): CreditsRule => ({
  initial,
  generation: 1,
  refill,
  refillFrom: T0,
})

/** A plan at T0 taking `cost` (default 1). */
export const plan = (
  buckets: BucketRule[],
  rule: CreditsRule | null = null,
  cost = 1,
  now = T0,
): SpendPlan => ({ now, cost, buckets, credits: rule })

/** Runs `task(0 … total - 1)` with at most `inFlight` running at once; results in index order. */
export async function inFlight<T>(
  total: number,
  width: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(total)
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < total) {
        const i = next++
        results[i] = await task(i)
      }
    }),
  )
  return results
}

// The usage suite's events are available a day before T0 and claimed then with a 1 ms lease:
// no other suite's event is due that early, and nothing this suite claims stays claimed for a
// later test's claim at T0 or after.
const EARLY = T0 - DAY

/** A fresh event stream name, and `key.credits_exhausted`-like events of `key` in it. */
export function exhaustedEvents(key: KeyRecord) {
  const stream = `usage_${Array.from(randomBytes(8), (b) => b.toString(16).padStart(2, '0')).join('')}`
  return {
    stream,
    /** One new event (new ID) per call, as a service builds them. */
    make: (): OutboxEvent[] => {
      const id = newId('evt', T0, randomBytes(16))
      return [
        {
          id,
          subject: { kind: 'key', id: key.id },
          stream,
          seq: 1,
          availableAt: EARLY,
          body: JSON.stringify({ id, type: 'key.credits_exhausted', key: key.id }),
        },
      ]
    },
  }
}

/** The claimable events of `stream`, each then settled as delivered (so a claim finds it once). */
export async function claimStream(store: KeyStore, stream: string): Promise<ClaimedEvent[]> {
  const owner = 'usage-suite'
  const claimed = await store.claimEvents({ owner, now: EARLY, leaseUntil: EARLY + 1, limit: 1000 })
  const mine = claimed.filter((e) => e.stream === stream)
  for (const e of mine) await store.settleEvent(e, { owner, deliveredAt: EARLY })
  return mine
}

/** A seeded pseudo-random source (mulberry32): the same sequence on every store. */
export function seeded(seed: number) {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1))
  const pick = <T>(items: readonly T[]) => items[int(0, items.length - 1)]!
  return { next, int, pick }
}

/**
 * A random plan of up to three buckets (key's or organisation's) and maybe credits, at `now`:
 * limits and windows whose units are not whole milliseconds, costs of 0 to 3 (some above a
 * limit), credits of several settings, with and without refills, starting before or after now.
 */
export function randomPlan(random: ReturnType<typeof seeded>, now: number): SpendPlan {
  const names = ['a', 'b', 'c-1', 'd_2'].filter(() => random.next() < 0.55).slice(0, 3)
  const buckets = names.map((name) =>
    bucket(
      name,
      random.int(1, 6),
      random.pick([1000, 1001, 3000, 7000, 60_000]),
      random.next() < 0.4 ? 'organisation' : 'key',
    ),
  )
  const rule: CreditsRule | null =
    random.next() < 0.6
      ? {
          initial: random.int(0, 6),
          generation: random.int(1, 3),
          refill:
            random.next() < 0.6
              ? { amount: random.int(0, 5), intervalMs: random.pick([1000, 2500, 7000]) }
              : null,
          refillFrom: T0 + random.int(-3000, 3000),
        }
      : null
  const cost = random.next() < 0.7 ? 1 : random.int(0, 7)
  return { now, cost, buckets, credits: rule }
}
