import { KeycycleError } from '../../src/core/errors'
import type { Commands } from './client'
import { evaluate, LATE, REFUSED_LATE, script } from './lua'
import { APPEND, type OutboxWrite } from './outbox-append'

/**
 * Compare-and-set of one record hash, applied at most once per request ID and never past its
 * fence, recording the write's events and announcing it on the change channel in the same
 * script (so a committed write is never unannounced, and its events exist exactly when it does).
 * KEYS[1] the record hash, KEYS[2] the request marker (same hash slot), then the outbox's keys.
 * ARGV[1] the expected version ('' = the record must not exist), ARGV[2] the new version,
 * ARGV[3] the record JSON, ARGV[4] the marker's lifetime in ms, ARGV[5] the change channel,
 * ARGV[6] the announcement, ARGV[7] the owning organisation of a key ('' for an organisation),
 * ARGV[8] the fence (server ms, '' for none), then the outbox's arguments (see `APPEND`).
 * Returns 1 if written, 0 if not, -1 if refused past the fence. A marker left by an earlier send
 * of the same request (ioredis resends unanswered commands after a reconnect) returns that
 * send's answer instead, so a write that committed is never reported as lost, and never
 * applied twice.
 */
const COMPARE_AND_SET = script(
  LATE,
  APPEND,
  `
local done = redis.call('GET', KEYS[2])
if done then return tonumber(done) end
if late(ARGV[8]) then return ${REFUSED_LATE} end
local current = redis.call('HGET', KEYS[1], 'version')
local ok = 0
if ARGV[1] == '' then
  if not current then ok = 1 end
elseif current == ARGV[1] then
  ok = 1
end
if ok == 1 then
  if ARGV[7] == '' then
    redis.call('HSET', KEYS[1], 'version', ARGV[2], 'record', ARGV[3])
  else
    redis.call('HSET', KEYS[1], 'version', ARGV[2], 'record', ARGV[3], 'organisation', ARGV[7])
  end
  append(3, 9)
  redis.call('PUBLISH', ARGV[5], ARGV[6])
end
redis.call('SET', KEYS[2], ok, 'PX', ARGV[4])
return ok
`,
)

/**
 * Compare-and-set delete, at most once per request ID and never past its fence, with its
 * events (as {@link COMPARE_AND_SET}). KEYS[1] the record hash, KEYS[2] the request marker, then
 * the outbox's keys. ARGV[1] the expected version, ARGV[2] the marker's lifetime, ARGV[3] the
 * channel, ARGV[4] the announcement, ARGV[5] the fence, then the outbox's arguments. Returns 1
 * if deleted, 0 if not, -1 if refused past the fence.
 */
const DELETE_IF_VERSION = script(
  LATE,
  APPEND,
  `
local done = redis.call('GET', KEYS[2])
if done then return tonumber(done) end
if late(ARGV[5]) then return ${REFUSED_LATE} end
local ok = 0
if redis.call('HGET', KEYS[1], 'version') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  append(3, 6)
  redis.call('PUBLISH', ARGV[3], ARGV[4])
  ok = 1
end
redis.call('SET', KEYS[2], ok, 'PX', ARGV[2])
return ok
`,
)

/**
 * Adds a key to its organisation's index unless the index already holds `max` keys.
 * KEYS[1] the index; ARGV[1] the key ID, ARGV[2] the most keys, ARGV[3] the fence. Returns 1
 * if the key is in the index (added now or before), 0 if refused, -1 if past the fence.
 * Counting and adding in one script is what lets exactly one of two creates racing for the
 * last place win.
 */
const ADD_WITHIN_LIMIT = script(
  LATE,
  `
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
if late(ARGV[3]) then return ${REFUSED_LATE} end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], 0, ARGV[1])
return 1
`,
)

/**
 * Deletes every key of KEYS (a record just inserted, with its outbox) and announces ARGV[2] on
 * channel ARGV[1]. Returns how many keys went. Not fenced: it undoes a write.
 */
const REMOVE = script(`
local n = redis.call('DEL', unpack(KEYS))
redis.call('PUBLISH', ARGV[1], ARGV[2])
return n
`)

/** Where a write is announced: the channel, and the message (`key:<id>`, `organisation:<id>`). */
export interface Announcement {
  channel: string
  message: string
}

// The cause of the `unavailable` a script refused past its fence rejects with.
const LATE_CAUSE = new Error('the script reached Redis after its fence')

/** True for the rejection of a write that a script refused past its fence: it never applies. */
export function refusedLate(error: unknown): boolean {
  return error instanceof KeycycleError && error.cause === LATE_CAUSE
}

// A write script's answer: 1 written, 0 not, or refused past the fence (an `unavailable`).
function written(reply: unknown, what: string): boolean {
  if (reply === REFUSED_LATE) {
    throw new KeycycleError('unavailable', `redis: ${what} refused: its deadline had passed`, {
      cause: LATE_CAUSE,
    })
  }
  return reply === 1
}

/**
 * Runs {@link COMPARE_AND_SET}: true if `next` was written (and announced, with its events).
 * Rejects with `unavailable` when the script reached the server past `fence`.
 */
export async function compareAndSet(
  commands: Commands,
  keys: [record: string, marker: string],
  expectedVersion: number | null,
  next: { version: number; json: string; owner: string },
  markerTtlMs: number,
  announce: Announcement,
  fence: string,
  outbox: OutboxWrite,
): Promise<boolean> {
  const reply = await evaluate(
    commands,
    COMPARE_AND_SET,
    [...keys, ...outbox.keys],
    [
      expectedVersion === null ? '' : String(expectedVersion),
      String(next.version),
      next.json,
      markerTtlMs,
      announce.channel,
      announce.message,
      next.owner,
      fence,
      ...outbox.args,
    ],
  )
  return written(reply, 'write')
}

/** Runs {@link REMOVE}: deletes a record hash just inserted, with its outbox, and announces it. */
export async function remove(
  commands: Commands,
  keys: readonly string[],
  announce: Announcement,
): Promise<void> {
  await evaluate(commands, REMOVE, keys, [announce.channel, announce.message])
}

/**
 * Runs {@link DELETE_IF_VERSION}: true if the record was at `expectedVersion` and is gone (its
 * events recorded). Rejects with `unavailable` when the script reached the server past `fence`.
 */
export async function deleteIfVersion(
  commands: Commands,
  keys: [record: string, marker: string],
  expectedVersion: number,
  markerTtlMs: number,
  announce: Announcement,
  fence: string,
  outbox: OutboxWrite,
): Promise<boolean> {
  const reply = await evaluate(
    commands,
    DELETE_IF_VERSION,
    [...keys, ...outbox.keys],
    [
      String(expectedVersion),
      markerTtlMs,
      announce.channel,
      announce.message,
      fence,
      ...outbox.args,
    ],
  )
  return written(reply, 'delete')
}

/**
 * Runs {@link ADD_WITHIN_LIMIT}: false when the index already holds `max` keys. Rejects with
 * `unavailable` when the script reached the server past `fence`.
 */
export async function addWithinLimit(
  commands: Commands,
  index: string,
  keyId: string,
  max: number,
  fence: string,
): Promise<boolean> {
  return written(await evaluate(commands, ADD_WITHIN_LIMIT, [index], [keyId, max, fence]), 'insert')
}
