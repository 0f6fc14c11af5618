import { sha1 } from '@noble/hashes/legacy.js'
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js'
import type { Commands } from './client'

/** A Lua script, sent by SHA. */
export interface Script {
  source: string
  sha: string
}

/** A script from its source (joined from parts, so scripts can share Lua functions). */
export function script(...parts: string[]): Script {
  const source = parts.join('\n')
  return { source, sha: bytesToHex(sha1(utf8ToBytes(source))) }
}

/**
 * Runs `s` by SHA, falling back to sending the source when the server does not know it (after
 * `SCRIPT FLUSH`, a restart or a failover), which also caches it again. The fallback resends
 * the same arguments, fence included, so it can never apply a write later than the first send.
 */
export function evaluate(
  commands: Commands,
  s: Script,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  // A plain promise chain, not an async function: verification runs through here, and each
  // async layer costs a promise and a microtask per call.
  return commands.evalsha(s.sha, keys.length, ...keys, ...args).catch((error: unknown) => {
    if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error
    return commands.eval(s.source, keys.length, ...keys, ...args)
  })
}

/**
 * Lua: `late(fence)` is true when the server's clock (`TIME`, in ms with µs precision) is past
 * `fence` (ms of the server's clock, as a string; `''` for no fence). Every write script calls
 * it before it changes anything, so a script that reaches the server after its fence — a
 * resend after a reconnect, the offline queue, a paused server resuming — changes nothing.
 */
export const LATE = `
local function late(fence)
  if fence == '' then return false end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000 > tonumber(fence)
end
`

/** What a write script answers when it refused to apply past its fence. */
export const REFUSED_LATE = -1
