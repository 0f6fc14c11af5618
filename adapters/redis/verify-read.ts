import type { KeyRecord, Organisation } from '../../src/core/types'
import type { KeyWithOrganisation } from '../../src/store'
import { decoyRecords } from '../../src/store/decoy'
import type { Commands } from './client'
import type { Layout } from './layout'
import { evaluate, script } from './lua'
import { keyRecordOf, organisationOf } from './records'
import { ReplyMemo } from './reply-memo'

/**
 * A key's record with its organisation's, in one round trip: standalone Redis only, because the
 * organisation's hash is named from the key's hash (it cannot be declared in KEYS, and on a
 * Cluster it lives in another slot). KEYS[1] the key hash; ARGV[1] and ARGV[2] what surrounds
 * an organisation ID in its hash's name, ARGV[3] the decoy hash. Returns one JSON array, so the
 * client decodes one string: `[key, organisation or null]` for a key that exists. For one that
 * does not it reads the decoy's two records instead and returns `[decoy key, decoy
 * organisation, 0]` (`[]` while no decoy is written): two lookups and a reply of a record's
 * size either way, so an unknown ID costs the server and the client what a known one does.
 * Keys written before the `organisation` field existed name their owner inside the record.
 */
const READ_KEY_WITH_ORGANISATION = script(`
local key = redis.call('HMGET', KEYS[1], 'record', 'organisation')
if key[1] then
  local owner = key[2] or cjson.decode(key[1]).organisation
  local organisation = redis.call('HGET', ARGV[1] .. owner .. ARGV[2], 'record')
  return '[' .. key[1] .. ',' .. (organisation or 'null') .. ']'
end
local decoy = redis.call('HMGET', ARGV[3], 'record', 'organisation')
if not decoy[1] then return '[]' end
return '[' .. decoy[1] .. ',' .. decoy[2] .. ',0]'
`)

/** The decoy's two records as JSON (see `decoyRecords`). */
export function decoyJson(): { key: string; organisation: string } {
  const { key, organisation } = decoyRecords()
  return { key: JSON.stringify(key), organisation: JSON.stringify(organisation) }
}

// The script's reply, decoded whether it holds real records or the decoy's: the decoding is
// part of what an unknown ID must cost.
type Reply = [key: KeyRecord, organisation: Organisation | null, decoy?: 0] | []

/**
 * The verification read of a store (`getKeyWithOrganisation`): one script on a standalone
 * server, two reads on a Cluster (the key, then its organisation in another slot). An unknown
 * ID reads, transfers and decodes the decoy (`Layout.decoy`, a key and an organisation that no
 * read, list, index or scan of the store can reach), then answers null, so it costs what a
 * known ID with a wrong secret does. The decoy is written by the first unknown ID that finds none
 * there (at first, or after a flush or an eviction): that read waits for the write, and answers
 * null even if the write fails.
 * `keyPrefix` is the client's own, which ioredis adds to declared keys only.
 */
export function verifyRead(
  commands: Commands,
  at: Layout,
  isCluster: boolean,
  keyPrefix: string,
): (id: string) => Promise<KeyWithOrganisation | null> {
  // One write at a time: the misses that meet no decoy while it is being written wait for it.
  let decoyWrite: Promise<null> | null = null
  const writeDecoy = (): Promise<null> => {
    decoyWrite ??= (async () => {
      const { key, organisation } = decoyJson()
      await commands.hset(at.decoy, 'record', key, 'organisation', organisation)
      return null
    })()
      .catch(() => null)
      .finally(() => {
        decoyWrite = null
      })
    return decoyWrite
  }

  if (isCluster) {
    // Keys and organisations remembered apart, each under its own ID (an unknown key's ID for
    // the decoy's records), as the standalone reply is below.
    const keys = new ReplyMemo((json) => keyRecordOf(JSON.parse(json) as KeyRecord))
    const organisations = new ReplyMemo((json) => organisationOf(JSON.parse(json) as Organisation))
    return async (id) => {
      const json = await commands.hget(at.key(id), 'record')
      if (json === null) {
        const [key = null, organisation = null] = await commands.hmget(
          at.decoy,
          'record',
          'organisation',
        )
        if (key === null || organisation === null) return writeDecoy()
        // Decoded as a known key's records are, and dropped.
        keys.decode(id, key)
        organisations.decode(id, organisation)
        return null
      }
      const key = keys.decode(id, json)
      const organisation = await commands.hget(at.organisation(key.organisation), 'record')
      return organisation === null
        ? null
        : { key, organisation: organisations.decode(key.organisation, organisation) }
    }
  }
  const args = [
    keyPrefix + at.organisationAround[0],
    at.organisationAround[1],
    keyPrefix + at.decoy,
  ]
  const replies = new ReplyMemo((json) => {
    const reply = JSON.parse(json) as Reply
    const [key, organisation] = reply
    if (key !== undefined) keyRecordOf(key)
    if (organisation) organisationOf(organisation)
    return reply
  })
  return (id) =>
    evaluate(commands, READ_KEY_WITH_ORGANISATION, [at.key(id)], args).then((json) => {
      const reply = replies.decode(id, json as string)
      if (reply.length === 0) return writeDecoy()
      const [key, organisation, decoy] = reply
      return decoy === undefined && organisation !== null ? { key, organisation } : null
    })
}
