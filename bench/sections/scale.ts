// Figure 6: does anything get slower with the number of keys? The same store is loaded twice,
// with 1,000 keys and with a million, and both are timed side by side: verification (rotating
// over 1,000 sampled tokens spread across all the keys), and listKeys' first page against a
// page at the far end of the list. Memory per key comes from the heap (memory store) or the
// file (SQLite). Bulk keys go in in batches: through the store port for memory and Redis, and
// for SQLite as the adapter's own rows (keyToRow) through one prepared INSERT per transaction,
// since a million single-row Kysely inserts would take minutes.
import type { Database } from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { kyselyStore, migrateKeycycle } from '../../adapters/kysely'
import { keyToRow } from '../../adapters/kysely/rows'
import { tableNames } from '../../adapters/kysely/schema'
import { memoryStore } from '../../adapters/memory'
import { redisStore } from '../../adapters/redis'
import { createKeycycle } from '../../src/service/keycycle'
import type { KeyStore } from '../../src/store'
import { deleteRedisPrefix, redisClient, redisPrefix, sqliteFile, tablePrefix } from '../backends'
import { type BulkData, type BulkSink, inParallel, loadBulk } from '../bulk'
import { compare, cycle, ratio, spread, throughput } from '../harness'
import { ops } from '../report'
import { verifyOk } from '../tokens'
import type { Context } from './context'

type ScaleStore = 'memory' | 'sqlite' | 'redis'

interface Subject {
  store: KeyStore
  sink: BulkSink
  /** Bytes the data takes at rest, where the store can say. */
  bytes?(): number
  close(): Promise<void>
}

const SMALL = 1_000
const SAMPLES = 1_000
const count = (n: number) => n.toLocaleString('en')

async function open(name: ScaleStore): Promise<Subject> {
  if (name === 'memory') {
    const store = memoryStore()
    return {
      store,
      sink: {
        organisation: async (o, k) => void (await store.insertOrganisation(o, k)),
        keys: async (batch) => {
          for (const record of batch) await store.insertKey(record)
        },
      },
      close: async () => {},
    }
  }
  if (name === 'sqlite') {
    const file = sqliteFile()
    const connection: Database = file.open()
    const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: file.open() }) })
    const prefix = tablePrefix()
    await migrateKeycycle(db, { tablePrefix: prefix })
    const store = kyselyStore(db, { tablePrefix: prefix })
    let insert: ((batch: ReturnType<typeof keyToRow>[]) => void) | null = null
    return {
      store,
      sink: {
        organisation: async (o, k) => void (await store.insertOrganisation(o, k)),
        async keys(batch) {
          const rows = batch.map(keyToRow)
          if (insert === null) {
            const columns = Object.keys(rows[0]!)
            const statement = connection.prepare(
              `insert into "${tableNames(prefix).keys}" (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map((c) => `@${c}`).join(', ')})`,
            )
            insert = connection.transaction((all: typeof rows) => {
              for (const row of all) statement.run(row)
            })
          }
          insert(rows)
        },
      },
      bytes: () =>
        (connection.pragma('page_count', { simple: true }) as number) *
        (connection.pragma('page_size', { simple: true }) as number),
      async close() {
        await db.destroy()
        file.remove()
      },
    }
  }
  const client = await redisClient()
  const loader = await redisClient({ autoPipelining: true })
  const prefix = redisPrefix('scale')
  // The loader's write markers expire at once (a million of them would only take memory), and
  // its deadline allows for the queue of a bulk load on a busy machine.
  const loading = redisStore(loader, { prefix, markerTtlMs: 1000, commandTimeoutMs: 60_000 })
  const inserted = async (work: Promise<boolean>) => {
    if (!(await work)) throw new Error('redis: a bulk insert was refused')
  }
  return {
    store: redisStore(client, { prefix }),
    sink: {
      organisation: (o, k) => inserted(loading.insertOrganisation(o, k)),
      keys: (batch) => inParallel(batch, 128, (record) => inserted(loading.insertKey(record))),
    },
    async close() {
      await deleteRedisPrefix(client, prefix)
      client.disconnect()
      loader.disconnect()
    },
  }
}

function heapAfterGc(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) return null
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

export async function scaleFigures(name: ScaleStore, keys: number, ctx: Context): Promise<void> {
  const organisations = name === 'redis' ? 10 : 1
  const plan = (total: number) => ({
    organisations,
    keysPerOrganisation: Math.floor(total / organisations),
    samples: SAMPLES,
  })
  const subjects: Subject[] = []
  try {
    const small = await open(name)
    subjects.push(small)
    const smallData = await loadBulk(small.sink, plan(SMALL))
    const heapBefore = heapAfterGc()
    const large = await open(name)
    subjects.push(large)
    const bytesBefore = large.bytes?.() ?? 0
    const started = performance.now()
    const largeData = await loadBulk(large.sink, plan(keys))
    const seconds = (performance.now() - started) / 1000
    console.log(`\n[${name}] ${count(keys)} keys loaded in ${seconds.toFixed(1)} s`)
    const heapAfter = heapAfterGc()
    if (name === 'memory' && heapBefore !== null && heapAfter !== null) {
      const perKey = (heapAfter - heapBefore) / keys
      ctx.report.add(6, `memory: heap bytes per key at ${count(keys)}`, spread([perKey]), 'B', {
        none: true,
      })
    }
    if (large.bytes) {
      const perKey = (large.bytes() - bytesBefore) / keys
      ctx.report.add(6, `${name}: file bytes per key at ${count(keys)}`, spread([perKey]), 'B', {
        none: true,
      })
    }
    await measure(name, keys, small.store, smallData, large.store, largeData, ctx)
  } finally {
    for (const subject of subjects) await subject.close()
    heapAfterGc()
  }
}

async function measure(
  name: ScaleStore,
  keys: number,
  smallStore: KeyStore,
  smallData: BulkData,
  largeStore: KeyStore,
  largeData: BulkData,
  { report, timing }: Context,
): Promise<void> {
  const smallKc = createKeycycle({ store: smallStore })
  const largeKc = createKeycycle({ store: largeStore })
  const smallCase = { name: 'small', run: verifyOk(smallKc, cycle(smallData.tokens)) }
  const largeCase = { name: 'large', run: verifyOk(largeKc, cycle(largeData.tokens)) }
  console.log(`[${name}] verify at ${count(keys)} keys vs at ${count(SMALL)}`)
  const g = await compare([smallCase, largeCase], timing)
  report.add(
    6,
    `${name}: verify at ${count(keys)} keys ÷ at ${count(SMALL)}`,
    ratio(g, 'large', 'small'),
    '×',
    { atLeast: 0.9 },
    `${ops(throughput(g, 'large'))}/s vs ${ops(throughput(g, 'small'))}/s`,
  )

  const listed = Math.floor(keys / largeData.organisations.length)
  const org = largeKc.asOrganisation(largeData.organisations[0]!)
  const page = async (startingAfter?: string) => {
    const result = await org.listKeys(
      startingAfter === undefined ? { limit: 10 } : { limit: 10, startingAfter },
    )
    if (result.data.length !== 10) throw new Error(`listKeys returned ${result.data.length} keys`)
  }
  const first = { name: 'first page', run: () => page() }
  const deep = { name: 'deep page', run: () => page(largeData.deepCursor) }
  console.log(`[${name}] listKeys: the first page vs one 99 % of the way down ${count(listed)}`)
  const l = await compare([first, deep], timing)
  report.add(
    6,
    `${name}: listKeys deep page ÷ first page at ${count(listed)}`,
    ratio(l, 'deep page', 'first page'),
    '×',
    { between: [0.67, 1.5] },
    `${ops(throughput(l, 'deep page'))}/s vs ${ops(throughput(l, 'first page'))}/s`,
  )
  await smallKc.close()
  await largeKc.close()
}
