import type { KeyRecord, Organisation } from '../../src/core/types'
import type { KeyStore, StoreChange } from '../../src/store'
import { changeMessage, subscriberOf, watchChannel } from './channel'
import { type Commands, endedClient, type RedisClient, redisCall } from './client'
import { layout } from './layout'
import { type RedisStoreOptions, readRedisArguments } from './options'
import { listDueKeys, listKeys } from './queries'
import { compareAndSet, remove } from './scripts'

/**
 * A {@link KeyStore} over the host's ioredis client, standalone or Cluster.
 *
 * Atomic: each write to one key or one organisation is a single Lua compare-and-set on its own
 * hash slot, applied at most once even if ioredis resends it after a reconnect, and announced on
 * the change channel by the same script. Eventually consistent: the organisation index (for
 * lists) and the due index (for the expiry sweep) live in other slots and are written before
 * the record, so they may hold extra or stale entries but never miss a committed key; every
 * answer is checked against the records, which are the authority. Verification takes two reads
 * (key, then its organisation).
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
  const read = async <T>(hash: string): Promise<T | null> => {
    const json = await commands.hget(hash, 'record')
    return json === null ? null : (JSON.parse(json) as T)
  }
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
      { version: next.version, json: JSON.stringify(next) },
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

  return {
    getKeyWithOrganisation: (id) =>
      run('getKeyWithOrganisation', async () => {
        const key = await readKey(id)
        const organisation = key && (await read<Organisation>(at.organisation(key.organisation)))
        return key && organisation ? { key, organisation } : null
      }),

    insertKey: (record) =>
      run('insertKey', async () => {
        await indexKey(record)
        return write('key', record, null)
      }),

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
