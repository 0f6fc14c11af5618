import { sha1 } from '@noble/hashes/legacy.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import type { Commands } from './client'

/**
 * Compare-and-set of one record hash, applied at most once per request ID.
 * KEYS[1] the record hash, KEYS[2] the request marker (same hash slot).
 * ARGV[1] the expected version ('' = the record must not exist), ARGV[2] the new version,
 * ARGV[3] the record JSON, ARGV[4] the marker's lifetime in ms.
 * Returns 1 if written, 0 if not. A marker left by an earlier send of the same request (ioredis
 * resends unanswered commands after a reconnect) returns that send's answer instead, so a
 * write that committed is never reported as lost, and never applied twice.
 */
const COMPARE_AND_SET = `
local done = redis.call('GET', KEYS[2])
if done then return tonumber(done) end
local current = redis.call('HGET', KEYS[1], 'version')
local ok = 0
if ARGV[1] == '' then
  if not current then ok = 1 end
elseif current == ARGV[1] then
  ok = 1
end
if ok == 1 then redis.call('HSET', KEYS[1], 'version', ARGV[2], 'record', ARGV[3]) end
redis.call('SET', KEYS[2], ok, 'PX', ARGV[4])
return ok
`

const SHA = bytesToHex(sha1(utf8ToBytes(COMPARE_AND_SET)))

/**
 * Runs {@link COMPARE_AND_SET} by SHA, falling back to sending the source when the server does
 * not know it (after `SCRIPT FLUSH`, a restart or a failover), which also caches it again.
 */
export async function compareAndSet(
  commands: Commands,
  keys: [record: string, marker: string],
  expectedVersion: number | null,
  next: { version: number; json: string },
  markerTtlMs: number,
): Promise<boolean> {
  const args = [
    ...keys,
    expectedVersion === null ? '' : String(expectedVersion),
    String(next.version),
    next.json,
    markerTtlMs,
  ]
  try {
    return (await commands.evalsha(SHA, 2, ...args)) === 1
  } catch (error) {
    if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error
    return (await commands.eval(COMPARE_AND_SET, 2, ...args)) === 1
  }
}
