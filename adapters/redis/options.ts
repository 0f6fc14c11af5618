import { invalidInput } from '../../src/core/errors'
import { readInteger, readObject } from '../../src/core/validate'
import { DEFAULT_STORE_TIMEOUT_MS, MAX_TIMER_MS } from '../../src/store/deadline'
import type { Commands } from './client'

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * Prefix of every Redis key keycycle writes. Default `keycycle:`. At most 64 characters, with
   * no whitespace, no control characters and no `{` or `}`: keycycle puts its own hash tags
   * after the prefix, and a brace in it would move every key to the prefix's slot (see
   * {@link REDIS_PREFIX}).
   */
  prefix?: string
  /**
   * Deadline of a store call made without one, in ms from the call; past it the call fails
   * with `unavailable`. Only a store used directly needs it: the service gives every call its
   * own deadline (its `storeTimeoutMs`). An integer from 1 to 2 147 483 647 (the largest timer
   * Node keeps). Default 2000 (`DEFAULT_STORE_TIMEOUT_MS`).
   */
  commandTimeoutMs?: number
  /**
   * How long a write's request marker is kept, in ms: the window for deduplicating resends.
   * An integer from 1 to 2 147 483 647. Default 60 000.
   */
  markerTtlMs?: number
  /**
   * Most index entries read per round trip by the expiry sweep, and by a list whose filters
   * reject records (a list first reads as many as its page needs). 1–10 000. Default 100.
   */
  batchSize?: number
  /**
   * How often, at most, the outbox's recovery scan walks the keyspace (SCAN, in the
   * background of a claim), in ms: it finds events whose index entry a process killed mid-write
   * never wrote (a Cluster keeps that index in another slot). A store's first claim scans at once. An integer from 1 to 2 147 483 647. Default 60 000.
   */
  outboxScanMs?: number
}

/** What a Redis `prefix` may be: up to 64 characters, none of them whitespace, control, `{`, `}`. */
export const REDIS_PREFIX = /^[^\s\p{Cc}{}]{0,64}$/u

/** The options as the store uses them, defaults filled in. */
export interface RedisSettings {
  prefix: string
  timeoutMs: number
  markerTtlMs: number
  batch: number
  outboxScanMs: number
}

/**
 * Checks {@link redisStore}'s arguments before any I/O. Throws `KeycycleError('validation')`
 * naming the argument at fault.
 */
export function readRedisArguments(client: unknown, options: unknown): RedisSettings {
  const commands = client as Partial<Record<keyof Commands, unknown>> | null
  if (
    typeof commands !== 'object' ||
    commands === null ||
    typeof commands.status !== 'string' ||
    typeof commands.hget !== 'function' ||
    typeof commands.evalsha !== 'function' ||
    typeof commands.zadd !== 'function' ||
    typeof (commands as { duplicate?: unknown }).duplicate !== 'function'
  ) {
    throw invalidInput('client', 'must be an ioredis Redis or Cluster')
  }
  const opts = readObject(options ?? {}, 'options', [
    'prefix',
    'commandTimeoutMs',
    'markerTtlMs',
    'batchSize',
    'outboxScanMs',
  ])
  const { prefix = 'keycycle:' } = opts
  if (typeof prefix !== 'string' || !REDIS_PREFIX.test(prefix)) {
    throw invalidInput(
      'prefix',
      'must be at most 64 characters with no whitespace, control characters, { or }',
    )
  }
  const integer = (field: string, fallback: number, max: number) =>
    opts[field] === undefined ? fallback : readInteger(opts[field], field, 1, max)
  return {
    prefix,
    timeoutMs: integer('commandTimeoutMs', DEFAULT_STORE_TIMEOUT_MS, MAX_TIMER_MS),
    markerTtlMs: integer('markerTtlMs', 60_000, MAX_TIMER_MS),
    batch: integer('batchSize', 100, 10_000),
    outboxScanMs: integer('outboxScanMs', 60_000, MAX_TIMER_MS),
  }
}
