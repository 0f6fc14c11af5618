import { KeycycleError } from '../../src/core/errors'
import { importedHexOfRecord } from '../../src/core/imported'
import type { KeyRecord, Organisation } from '../../src/core/types'
import {
  type CallOptions,
  changeMessage,
  type KeyStore,
  type OutboxEvent,
  type StoreChange,
} from '../../src/store'
import { subscriberOf, watchChannel } from './channel'
import { type Commands, endedClient, type RedisClient, redisCall } from './client'
import { countDigests } from './digests'
import { fencedCalls } from './fenced-call'
import { layout } from './layout'
import { type RedisStoreOptions, readRedisArguments } from './options'
import { redisOutbox } from './outbox'
import { type OutboxWrite, outboxWrite, touchesOf } from './outbox-append'
import { touchIndex } from './outbox-index'
import { outboxRecovery } from './outbox-recovery'
import { listDueKeys, listKeys } from './queries'
import { keyRecordOf, organisationOf } from './records'
import { keyPrefixOf } from './scan'
import { addWithinLimit, compareAndSet, deleteIfVersion, refusedLate, remove } from './scripts'
import { redisSpend } from './spend'
import { redisUsage } from './usage'
import { verifyRead } from './verify-read'

// An ID of the right shape that no key has: an unknown imported digest reads the decoy by it.
const NO_KEY = 'key_00000000000000000000000000'

/**
 * A {@link KeyStore} over the host's ioredis client, standalone or Cluster.
 *
 * Atomic: each write to one key or one organisation is a single Lua compare-and-set on its own
 * hash slot, applied at most once even if ioredis resends it after a reconnect, announced on
 * the change channel and recording its events in the same script. Fenced: a write
 * with a `deadline` carries it as a fence in the server's time (see `fenced-call.ts`),
 * and the script refuses to apply past it, however late it arrives.
 * Eventually consistent: the organisation index (for lists), the due index (for the expiry
 * sweep) and, on a Cluster, the outbox's index live in other slots and are written before the
 * record, so they may hold extra or stale entries but never miss a committed key or event (the
 * outbox's also after it, and a recovery scan repairs a crash between the two); every answer is
 * checked against the records, which are the authority. Verification is one round trip on a
 * standalone server (one read-only script) and two on a Cluster (key, then its organisation,
 * which lives in another slot); an unknown key ID costs the same, reading and decoding a decoy
 * record of a key's size (see `verify-read.ts`).
 *
 * Usage counters are fields of the hashes they belong to, never inside `record` (see
 * counters-lua.ts): a key's buckets and credits in its hash, an organisation's shared buckets
 * in its hash. A spend is one script and one round trip on a standalone server; on a Cluster
 * two (the organisation's shared buckets first, then the key's part), with what remains of
 * that split stated in spend.ts.
 *
 * Usage analytics are a hash per key on its slot, added to by one script per key and flush
 * (see usage.ts).
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
  const { prefix, timeoutMs, markerTtlMs, batch, outboxScanMs } = readRedisArguments(
    client,
    options,
  )
  const commands = client as unknown as Commands
  const at = layout(prefix)
  const token = () => globalThis.crypto.randomUUID()
  // A call's deadline: the caller's (the service always gives one), else `commandTimeoutMs`.
  const run = <T>(method: string, options: CallOptions | undefined, work: () => Promise<T>) =>
    redisCall(commands, method, options?.deadline ?? Date.now() + timeoutMs, work)
  const runWrite = fencedCalls(client, commands, timeoutMs)
  // ioredis adds its own `keyPrefix` to declared keys only; a name built inside a script needs it.
  const keyPrefix = keyPrefixOf(client)

  const parse = <T>(json: string | null): T | null =>
    json === null ? null : (JSON.parse(json) as T)
  const read = async <T>(hash: string): Promise<T | null> =>
    parse<T>(await commands.hget(hash, 'record'))
  const readKey = async (id: string) => {
    const key = await read<KeyRecord>(at.key(id))
    return key === null ? null : keyRecordOf(key)
  }
  const announce = (change: StoreChange) => ({
    channel: at.changes,
    message: changeMessage(change),
  })

  // A write's events go in its script. The pending index is touched in the script on a
  // standalone server; on a Cluster (another slot) before it for `early` and after it commits
  // for `all` — the second touch not awaited: commands to one node keep their order, and a
  // crash before it is what the recovery scan is for.
  const withEvents = async (
    events: readonly OutboxEvent[],
    early: readonly OutboxEvent[],
    all: readonly OutboxEvent[],
    script: (outbox: OutboxWrite) => Promise<boolean>,
  ): Promise<boolean> => {
    if (!client.isCluster)
      return script(outboxWrite(at, events, touchesOf(all, token()), at.pending))
    await touchIndex(commands, at.pending, touchesOf(early, token()))
    const committed = await script(outboxWrite(at, events, [], null))
    if (committed) touchIndex(commands, at.pending, touchesOf(all, token())).catch(() => {})
    return committed
  }

  const write = (
    kind: StoreChange['kind'],
    next: KeyRecord | Organisation,
    expected: number | null,
    fence: string,
    outbox: OutboxWrite,
  ) =>
    compareAndSet(
      commands,
      [kind === 'key' ? at.key(next.id) : at.organisation(next.id), at.marker(next.id, token())],
      expected,
      {
        version: next.version,
        json: JSON.stringify(next),
        owner: kind === 'key' ? (next as KeyRecord).organisation : '',
      },
      markerTtlMs,
      announce({ kind, id: next.id }),
      fence,
      outbox,
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

  const keyWithOrganisation = verifyRead(commands, at, client.isCluster, keyPrefix)
  const outbox = redisOutbox({
    commands,
    at,
    keyPrefix,
    recovery: outboxRecovery(client, prefix, at, outboxScanMs),
    token,
  })

  return {
    kind: 'redis',
    getKeyWithOrganisation: (id, o) =>
      run('getKeyWithOrganisation', o, () => keyWithOrganisation(id)),

    // The index entry, then the key: two round trips, found or not (an unknown digest reads
    // the decoy through an ID no key has, as an unknown key ID does).
    findKeyByImportedDigest: (hex, o) =>
      run('findKeyByImportedDigest', o, async () => {
        const id = await commands.get(at.imported(hex))
        const found = await keyWithOrganisation(id ?? NO_KEY)
        return found !== null && importedHexOfRecord(found.key) === hex ? found : null
      }),

    insertKey: (record, insertOptions) =>
      runWrite('insertKey', insertOptions, async (fence) => {
        const max = insertOptions?.maxKeys
        if (max !== undefined) {
          // Counted and claimed in one script on the organisation's slot. An index entry left
          // by a crash between this and the record, or by a delete whose clean-up failed,
          // holds its place until removed: the limit errs towards refusing.
          const index = at.organisationKeys(record.organisation)
          if (!(await addWithinLimit(commands, index, record.id, max, fence))) {
            throw new KeycycleError('limit', `the organisation holds ${max} keys, the most allowed`)
          }
        }
        await indexKey(record)
        const imported = importedHexOfRecord(record)
        if (imported !== null) await commands.set(at.imported(imported), record.id)
        const events = insertOptions?.events ?? []
        return withEvents(events, events, events, (outbox) =>
          write('key', record, null, fence, outbox),
        )
      }),

    deleteKey: (id, expectedVersion, writeOptions) =>
      runWrite('deleteKey', writeOptions, async (fence) => {
        const record = await readKey(id)
        const events = writeOptions?.events ?? []
        const deleted = await withEvents(events, events, events, (outbox) =>
          deleteIfVersion(
            commands,
            [at.key(id), at.marker(id, token())],
            expectedVersion,
            markerTtlMs,
            announce({ kind: 'key', id }),
            fence,
            outbox,
          ),
        )
        // The indexes only propose IDs (reads check the records), so they are cleaned after.
        if (deleted && record !== null) {
          await commands.zrem(at.organisationKeys(record.organisation), id)
          if (record.expiresAt !== null) await commands.zrem(at.due, `${id}:${record.version}`)
          const imported = importedHexOfRecord(record)
          if (imported !== null) await commands.del(at.imported(imported))
        }
        return deleted
      }),

    countDigests: (now, o) => run('countDigests', o, () => countDigests(client, prefix, now)),

    updateKey: (next, expectedVersion, writeOptions) =>
      runWrite('updateKey', writeOptions, async (fence) => {
        await indexDue(next)
        const events = writeOptions?.events ?? []
        return withEvents(events, events, events, (outbox) =>
          write('key', next, expectedVersion, fence, outbox),
        )
      }),

    listKeys: (query, o) => run('listKeys', o, () => listKeys(commands, at, readKey, query, batch)),

    listDueKeys: (query, o) =>
      run('listDueKeys', o, () => listDueKeys(commands, at, readKey, query, batch)),

    getOrganisation: (id, o) =>
      run('getOrganisation', o, async () => {
        const organisation = await read<Organisation>(at.organisation(id))
        return organisation === null ? null : organisationOf(organisation)
      }),

    insertOrganisation: (organisation, firstKey, writeOptions) =>
      runWrite('insertOrganisation', writeOptions, async (fence) => {
        const events = writeOptions?.events ?? []
        const keyEvents = events.filter((e) => e.subject.id === firstKey.id)
        const ownEvents = events.filter((e) => e.subject.id !== firstKey.id)
        // The key first: until the organisation exists, nothing can read the key. The key's
        // events are indexed only with the organisation, so none is claimed for a key whose
        // organisation then fails.
        await indexKey(firstKey)
        const keyOutbox = outboxWrite(at, keyEvents, [], null)
        if (!(await write('key', firstKey, null, fence, keyOutbox))) return false
        const undo = () =>
          remove(
            commands,
            [at.key(firstKey.id), ...keyOutbox.keys],
            announce({ kind: 'key', id: firstKey.id }),
          )
        try {
          if (
            await withEvents(ownEvents, ownEvents, events, (outbox) =>
              write('organisation', organisation, null, fence, outbox),
            )
          ) {
            return true
          }
        } catch (error) {
          // Refused past its fence, the organisation never comes, so the key goes. Any other
          // fault leaves the outcome unknown, and the key with it.
          if (refusedLate(error)) await undo()
          throw error
        }
        await undo()
        return false
      }),

    updateOrganisation: (next, expectedVersion, writeOptions) =>
      runWrite('updateOrganisation', writeOptions, (fence) => {
        const events = writeOptions?.events ?? []
        return withEvents(events, events, events, (outbox) =>
          write('organisation', next, expectedVersion, fence, outbox),
        )
      }),

    ...redisSpend({
      commands,
      at,
      isCluster: client.isCluster,
      keyPrefix,
      markerTtlMs,
      runWrite,
      run,
      token,
    }),
    ...redisUsage({ commands, at, runWrite, run }),
    claimEvents: (query, o) => run('claimEvents', o, () => outbox.claimEvents(query)),
    settleEvent: (event, settlement, o) =>
      run('settleEvent', o, () => outbox.settleEvent(event, settlement)),
    pruneEvents: (before, limit, o) =>
      run('pruneEvents', o, () => outbox.pruneEvents(before, limit)),

    watch: (feed, watchOptions) =>
      endedClient(commands, 'watch') ??
      watchChannel(subscriberOf(client), at.changes, feed, watchOptions, timeoutMs),
  }
}
