import { KeycycleError } from '../../src/core/errors'
import type { KeyRecord, Organisation } from '../../src/core/types'
import type { KeyStore, StoreChange } from '../../src/store'
import { changeMessage, subscriberOf, watchChannel } from './channel'
import { type Commands, endedClient, type RedisClient, redisCall } from './client'
import { countDigests } from './digests'
import { layout } from './layout'
import { type RedisStoreOptions, readRedisArguments } from './options'
import { listDueKeys, listKeys } from './queries'
import {
  addWithinLimit,
  compareAndSet,
  deleteIfVersion,
  readKeyWithOrganisation,
  remove,
} from './scripts'

/**
 * A {@link KeyStore} over the host's ioredis client, standalone or Cluster.
 *
 * Atomic: each write to one key or one organisation is a single Lua compare-and-set on its own
 * hash slot, applied at most once even if ioredis resends it after a reconnect, and announced on
 * the change channel by the same script. Eventually consistent: the organisation index (for
 * lists) and the due index (for the expiry sweep) live in other slots and are written before
 * the record, so they may hold extra or stale entries but never miss a committed key; every
 * answer is checked against the records, which are the authority. Verification is one round
 * trip on a standalone server (one read-only script) and two on a Cluster (key, then its
 * organisation, which lives in another slot); an unknown key ID costs the same.
 *
 * `watch` subscribes to the change channel on a connection of its own (a duplicate of the
 * client, or of one Cluster master's connection), checked by PING every `heartbeatMs / 2`.
 *
 * Throws `KeycycleError('validation')` at once, naming the argument, when `client` is not an
 * ioredis client or an option is unknown or malformed (see {@link RedisStoreOptions}).
 *
 * @example
 * ```ts
 * const kc = createKeycycle({ store: redisStore(new Redis(url), { prefix: 'billing:kc:' }) })
 * ```
 */
export function redisStore(client: RedisClient, options: RedisStoreOptions = {}): KeyStore {
  const { prefix, timeoutMs, markerTtlMs, batch } = readRedisArguments(client, options)
  const commands = client as unknown as Commands
  const at = layout(prefix)
  const run = <T>(method: string, work: () => Promise<T>) =>
    redisCall(commands, method, timeoutMs, work)
  // ioredis adds its own `keyPrefix` to declared keys only; a name built inside a script needs it.
  const keyPrefix = client.isCluster ? '' : (client.options?.keyPrefix ?? '')
  const organisationAround = [
    keyPrefix + at.organisationAround[0],
    at.organisationAround[1],
  ] as const

  const parse = <T>(json: string | null): T | null =>
    json === null ? null : (JSON.parse(json) as T)
  const read = async <T>(hash: string): Promise<T | null> =>
    parse<T>(await commands.hget(hash, 'record'))
  const readKey = (id: string) => read<KeyRecord>(at.key(id))
  const announce = (change: StoreChange) => ({
    channel: at.changes,
    message: changeMessage(change),
  })
  const write = (
    kind: StoreChange['kind'],
    next: KeyRecord | Organisation,
    expected: number | null,
  ) =>
    compareAndSet(
      commands,
      [
        kind === 'key' ? at.key(next.id) : at.organisation(next.id),
        at.marker(next.id, globalThis.crypto.randomUUID()),
      ],
      expected,
      {
        version: next.version,
        json: JSON.stringify(next),
        owner: kind === 'key' ? (next as KeyRecord).organisation : '',
      },
      markerTtlMs,
      announce({ kind, id: next.id }),
    )
  // Index entries go in before the record, so a committed key is always findable.
  const indexDue = async (record: KeyRecord) => {
    if (record.expiresAt !== null) {
      await commands.zadd(at.due, 'LT', record.expiresAt, `${record.id}:${record.version}`)
    }
  }
  const indexKey = async (record: KeyRecord) => {
    await commands.zadd(at.organisationKeys(record.organisation), 'NX', 0, record.id)
    await indexDue(record)
  }

  // One script on a standalone server. A Cluster keeps the organisation in another slot: two
  // reads, and for an unknown key a second read of a hash that cannot exist (named after the key,
  // so such reads spread over the nodes as keys do), so it costs the same.
  const keyWithOrganisation = client.isCluster
    ? async (id: string) => {
        const key = await readKey(id)
        const organisation = await read<Organisation>(at.organisation(key?.organisation ?? id))
        return [key, organisation] as const
      }
    : async (id: string) => {
        const [key, organisation] = await readKeyWithOrganisation(
          commands,
          at.key(id),
          organisationAround,
        )
        return [parse<KeyRecord>(key), parse<Organisation>(organisation)] as const
      }

  return {
    getKeyWithOrganisation: (id) =>
      run('getKeyWithOrganisation', async () => {
        const [key, organisation] = await keyWithOrganisation(id)
        return key && organisation ? { key, organisation } : null
      }),

    insertKey: (record, insertOptions) =>
      run('insertKey', async () => {
        const max = insertOptions?.maxKeys
        if (max !== undefined) {
          // Counted and claimed in one script on the organisation's slot. An index entry left
          // by a crash between this and the record, or by a delete whose clean-up failed,
          // holds its place until removed: the limit errs towards refusing.
          const index = at.organisationKeys(record.organisation)
          if (!(await addWithinLimit(commands, index, record.id, max))) {
            throw new KeycycleError('limit', `the organisation holds ${max} keys, the most allowed`)
          }
        }
        await indexKey(record)
        return write('key', record, null)
      }),

    deleteKey: (id, expectedVersion) =>
      run('deleteKey', async () => {
        const record = await readKey(id)
        const deleted = await deleteIfVersion(
          commands,
          [at.key(id), at.marker(id, globalThis.crypto.randomUUID())],
          expectedVersion,
          markerTtlMs,
          { channel: at.changes, message: changeMessage({ kind: 'key', id }) },
        )
        // The indexes only propose IDs (reads check the records), so they are cleaned after.
        if (deleted && record !== null) {
          await commands.zrem(at.organisationKeys(record.organisation), id)
          if (record.expiresAt !== null) await commands.zrem(at.due, `${id}:${record.version}`)
        }
        return deleted
      }),

    countDigests: (now) => run('countDigests', () => countDigests(client, prefix, now)),

    updateKey: (next, expectedVersion) =>
      run('updateKey', async () => {
        await indexDue(next)
        return write('key', next, expectedVersion)
      }),

    listKeys: (query) => run('listKeys', () => listKeys(commands, at, readKey, query, batch)),

    listDueKeys: (query) =>
      run('listDueKeys', () => listDueKeys(commands, at, readKey, query, batch)),

    getOrganisation: (id) => run('getOrganisation', () => read<Organisation>(at.organisation(id))),

    insertOrganisation: (organisation, firstKey) =>
      run('insertOrganisation', async () => {
        // The key first: until the organisation exists, nothing can read the key.
        await indexKey(firstKey)
        if (!(await write('key', firstKey, null))) return false
        if (await write('organisation', organisation, null)) return true
        await remove(commands, at.key(firstKey.id), announce({ kind: 'key', id: firstKey.id }))
        return false
      }),

    updateOrganisation: (next, expectedVersion) =>
      run('updateOrganisation', () => write('organisation', next, expectedVersion)),

    watch: (feed, watchOptions) =>
      endedClient(commands, 'watch') ??
      watchChannel(subscriberOf(client, timeoutMs), at.changes, feed, watchOptions, timeoutMs),
  }
}
