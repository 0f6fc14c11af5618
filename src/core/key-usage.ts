import { invalidInput } from './errors'
import { type InstantInput, readInstant } from './schema/codecs'
import { readEnum, readObject } from './validate'
import type { VerifyFailureCode } from './verify-result'

/**
 * What usage analytics count per key and hour: a success, or a refusal of a token or signed
 * request whose key exists. `malformed`, `not_found` and `stale_signature` (refused before the
 * key is read) name no existing key and are not counted.
 * @inline
 */
export type UsageOutcome =
  | 'success'
  | Exclude<VerifyFailureCode, 'malformed' | 'not_found' | 'stale_signature'>

/** Every counted outcome, in the order a result's counts list them. */
export const USAGE_OUTCOMES: readonly UsageOutcome[] = Object.freeze([
  'success',
  'invalid',
  'replayed',
  'deactivated',
  'blocked',
  'expired',
  'ip_forbidden',
  'insufficient_permissions',
  'rate_limited',
  'credits_exhausted',
])

/** The index of each outcome in {@link USAGE_OUTCOMES}; absent for one not counted. */
export const OUTCOME_INDEX: Readonly<Partial<Record<string, number>>> = Object.freeze(
  Object.fromEntries(USAGE_OUTCOMES.map((outcome, i) => [outcome, i])),
)

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS
const SPAN_MS = { hour: HOUR_MS, day: DAY_MS } as const
/** Most buckets one read answers: 31 days of hours, or 366 days. */
const MAX_BUCKETS = { hour: 31 * 24, day: 366 } as const
/** The range read when `from` is omitted: one day of hours, or 30 days. */
const DEFAULT_SPAN = { hour: DAY_MS, day: 30 * DAY_MS } as const

/** The start of the UTC hour holding `at` (epoch ms). */
export const hourOf = (at: number): number => at - (at % HOUR_MS)

/**
 * How many verifications of one key ended in one outcome during one hour: what a store adds
 * up (see `KeyStore.addUsage`).
 */
export interface UsageCount {
  keyId: string
  /** Epoch ms of the hour's start (a multiple of 3 600 000, UTC). */
  hour: number
  outcome: UsageOutcome
  /** A positive integer. */
  count: number
}

/**
 * Bucket size of a usage read: UTC hours or UTC days.
 * @inline
 */
export type UsageGranularity = 'hour' | 'day'

/**
 * What `getKeyUsage` reads: `[from, to)`, widened to whole buckets. `to` defaults to the end
 * of the bucket holding now, `from` to one day before `to` (`hour`) or 30 days (`day`); at
 * most 744 hourly or 366 daily buckets. `granularity` defaults to `hour`.
 * @inline
 */
export interface KeyUsageQuery {
  from?: InstantInput
  to?: InstantInput
  granularity?: UsageGranularity
}

/**
 * Counts by outcome (only outcomes that occurred), and their `total`.
 * @inline
 */
export type UsageCounts = Partial<Record<UsageOutcome, number>> & { total: number }

/**
 * One hour's or day's counts.
 * @inline
 */
export interface UsageBucket {
  /** Epoch ms of the bucket's start. */
  start: number
  counts: UsageCounts
}

/**
 * A key's verifications by outcome over time: every bucket from `from` to `to` (exclusive),
 * empty ones included, oldest first, and the range's totals. Counts written behind (see
 * `lastUsedFlushMs`) show once flushed; hours older than the retention may have been pruned.
 * @inline
 */
export interface KeyUsage {
  keyId: string
  granularity: UsageGranularity
  /** Epoch ms: the first bucket's start. */
  from: number
  /** Epoch ms: the end of the last bucket (exclusive). */
  to: number
  buckets: UsageBucket[]
  totals: UsageCounts
}

/** A validated usage read: whole buckets, `from` < `to`. */
export interface UsageRange {
  from: number
  to: number
  granularity: UsageGranularity
}

/**
 * Reads a {@link KeyUsageQuery} at `now`: `validation` naming the field for an unknown field, a
 * bad instant or granularity, `from` not before `to`, or more buckets than allowed.
 */
export function parseUsageQuery(query: unknown, now: number): UsageRange {
  const q = readObject(query ?? {}, 'query', ['from', 'to', 'granularity'])
  const granularity =
    q.granularity === undefined
      ? 'hour'
      : readEnum(q.granularity, 'granularity', ['hour', 'day'] as const)
  const span = SPAN_MS[granularity]
  // By default the bucket holding now is the last one shown.
  const end = q.to === undefined ? now - (now % span) + span : readInstant(q.to, 'to')
  const start = q.from === undefined ? end - DEFAULT_SPAN[granularity] : readInstant(q.from, 'from')
  if (start >= end) throw invalidInput('from', 'must be before to')
  const from = start - (start % span)
  const to = end % span === 0 ? end : end - (end % span) + span
  if ((to - from) / span > MAX_BUCKETS[granularity]) {
    throw invalidInput(
      'from',
      `must be at most ${MAX_BUCKETS[granularity]} ${granularity}s before to`,
    )
  }
  return { from, to, granularity }
}

/** The series a range shows, from the hourly counts a store read for it. */
export function usageSeries(
  keyId: string,
  range: UsageRange,
  counts: readonly UsageCount[],
): KeyUsage {
  const span = SPAN_MS[range.granularity]
  const buckets: UsageBucket[] = []
  for (let start = range.from; start < range.to; start += span) {
    buckets.push({ start, counts: { total: 0 } })
  }
  const totals: UsageCounts = { total: 0 }
  for (const { hour, outcome, count } of counts) {
    if (hour < range.from || hour >= range.to) continue
    const bucket = buckets[Math.floor((hour - range.from) / span)]!.counts
    bucket[outcome] = (bucket[outcome] ?? 0) + count
    bucket.total += count
    totals[outcome] = (totals[outcome] ?? 0) + count
    totals.total += count
  }
  return { keyId, granularity: range.granularity, from: range.from, to: range.to, buckets, totals }
}
