// Figure 6: does anything get slower with the number of keys? Each store is loaded twice, with
// 1,000 keys and with a million, and the two are timed side by side: verification (rotating
// over 1,000 sampled tokens spread across all the keys), and listKeys' first page against a
// page 99 % of the way down. Memory per key comes from the heap (memory store) or the file
// (SQLite). Bulk keys go in in batches: through the store port for memory and Redis (Redis in a
// child process, while this one loads the others), and for SQLite as the adapter's own rows
// (keyToRow) through one prepared INSERT per transaction, since a million single-row Kysely
// inserts would take minutes. Nothing is timed until every load has finished.
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
import { type BulkData, type BulkSink, loadBulk, SAMPLES } from '../bulk'
import { compare, cycle, spread } from '../harness'
import { forkProgram } from '../paths'
import type { LoaderMessage } from '../redis-loader'
import { verifyOk } from '../tokens'
import { type Context, reason } from './context'

export const SCALE_STORES = ['memory', 'sqlite', 'redis'] as const
export type ScaleStore = (typeof SCALE_STORES)[number]

/** One store holding one data set. */
interface Subject {
  store: KeyStore
  /** Loads `keys` keys in `organisations` organisations. */
  load(organisations: number, keys: number): Promise<BulkData>
  /** Bytes the data takes at rest, where the store can say. */
  bytes?(): number
  close(): Promise<void>
}

const SMALL = 1_000
const count = (n: number) => n.toLocaleString('en')
const plan = (organisations: number, keys: number) => ({
  organisations,
  keysPerOrganisation: Math.floor(keys / organisations),
  samples: SAMPLES,
})

function memorySubject(): Subject {
  const store = memoryStore()
  const sink: BulkSink = {
    organisation: async (o, k) => void (await store.insertOrganisation(o, k)),
    keys: async (batch) => {
      for (const record of batch) await store.insertKey(record)
    },
  }
  return { store, load: (o, n) => loadBulk(sink, plan(o, n)), close: async () => {} }
}

async function sqliteSubject(): Promise<Subject> {
  const file = sqliteFile()
  const connection: Database = file.open()
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: file.open() }) })
  const prefix = tablePrefix()
  await migrateKeycycle(db, { tablePrefix: prefix })
  const store = kyselyStore(db, { tablePrefix: prefix })
  let insert: ((rows: ReturnType<typeof keyToRow>[]) => void) | null = null
  const sink: BulkSink = {
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
  }
  return {
    store,
    load: (o, n) => loadBulk(sink, plan(o, n)),
    bytes: () =>
      (connection.pragma('page_count', { simple: true }) as number) *
      (connection.pragma('page_size', { simple: true }) as number),
    async close() {
      await db.destroy()
      file.remove()
    },
  }
}

async function redisSubject(): Promise<Subject> {
  const client = await redisClient()
  const prefix = redisPrefix('scale')
  return {
    store: redisStore(client, { prefix }),
    // Through the store port, in a process of its own (see redis-loader.ts).
    load: (organisations, keys) =>
      new Promise((resolve, reject) => {
        const { keysPerOrganisation } = plan(organisations, keys)
        const child = forkProgram('redis-loader', [
          prefix,
          String(organisations),
          String(keysPerOrganisation),
        ])
        child.once('message', (message: LoaderMessage) =>
          message.type === 'done' ? resolve(message.data) : reject(new Error(message.error)),
        )
        child.once('exit', (code) => reject(new Error(`the Redis loader exited (${code})`)))
      }),
    async close() {
      await deleteRedisPrefix(client, prefix)
      client.disconnect()
    },
  }
}

const OPEN: Record<ScaleStore, () => Subject | Promise<Subject>> = {
  memory: memorySubject,
  sqlite: sqliteSubject,
  redis: redisSubject,
}

function heapAfterGc(): number | null {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) return null
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

interface Loaded {
  name: ScaleStore
  small: Subject
  large: Subject
  smallData: BulkData
  largeData: Promise<BulkData>
  /** When the large load started (performance.now()). */
  started: number
}

/** Figure 6 for `stores`: every data set is loaded first, then each store is timed in turn. */
export async function scaleFigures(
  stores: ScaleStore[],
  keys: number,
  ctx: Context,
): Promise<void> {
  const loaded: Loaded[] = []
  const opened: Subject[] = []
  try {
    // Redis first: its load runs in the background while this process loads the others.
    const order = [...stores].sort((a, b) => Number(b === 'redis') - Number(a === 'redis'))
    for (const name of order) {
      try {
        const organisations = name === 'redis' ? 10 : 1
        const small = await OPEN[name]()
        opened.push(small)
        const smallData = await small.load(organisations, SMALL)
        const heapBefore = heapAfterGc()
        const large = await OPEN[name]()
        opened.push(large)
        const bytesBefore = large.bytes?.() ?? 0
        const started = performance.now()
        const largeData = large.load(organisations, keys)
        largeData.catch(() => {}) // awaited below; a failure is reported there
        loaded.push({ name, small, large, smallData, largeData, started })
        if (name === 'redis') continue
        await largeData
        logLoad(name, keys, started)
        const heapAfter = heapAfterGc()
        if (name === 'memory' && heapBefore !== null && heapAfter !== null) {
          const perKey = spread([(heapAfter - heapBefore) / keys])
          ctx.report.add(6, `memory: heap bytes per key at ${count(keys)}`, perKey, 'B', {
            none: true,
          })
        }
        if (large.bytes) {
          const perKey = spread([(large.bytes() - bytesBefore) / keys])
          ctx.report.add(6, `${name}: file bytes per key at ${count(keys)}`, perKey, 'B', {
            none: true,
          })
        }
      } catch (error) {
        ctx.report.skip(`scale ${name}`, `FAILED while loading: ${reason(error)}`)
      }
    }
    // Timed in the order asked for, each store closed before the next is timed.
    loaded.sort((a, b) => stores.indexOf(a.name) - stores.indexOf(b.name))
    for (const subject of loaded) {
      try {
        const largeData = await subject.largeData
        if (subject.name === 'redis') logLoad(subject.name, keys, subject.started)
        await measure(subject.name, keys, subject, largeData, ctx)
      } catch (error) {
        ctx.report.skip(`scale ${subject.name}`, `FAILED: ${reason(error)}`)
      } finally {
        for (const part of [subject.small, subject.large]) {
          opened.splice(opened.indexOf(part), 1)
          await part.close()
        }
        heapAfterGc()
      }
    }
  } finally {
    for (const subject of opened) await subject.close().catch(() => {})
  }
}

function logLoad(name: ScaleStore, keys: number, started: number): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  console.log(`\n[${name}] ${count(keys)} keys loaded in ${seconds} s`)
}

async function measure(
  name: ScaleStore,
  keys: number,
  { small, large, smallData }: Loaded,
  largeData: BulkData,
  { report, timing }: Context,
): Promise<void> {
  const smallKc = createKeycycle({ store: small.store })
  const largeKc = createKeycycle({ store: large.store })
  try {
    const smallCase = { name: 'small', run: verifyOk(smallKc, cycle(smallData.tokens)) }
    const largeCase = { name: 'large', run: verifyOk(largeKc, cycle(largeData.tokens)) }
    console.log(`\n[${name}] verify at ${count(keys)} keys vs at ${count(SMALL)}`)
    const g = await compare([smallCase, largeCase], timing)
    report.ratio(
      6,
      `${name}: verify at ${count(keys)} keys ÷ at ${count(SMALL)}`,
      g,
      'large',
      'small',
      { atLeast: 0.9 },
    )

    const listed = Math.floor(keys / largeData.organisations.length)
    const org = largeKc.asOrganisation(largeData.organisations[0]!)
    const page = async (startingAfter?: string) => {
      const query = startingAfter === undefined ? { limit: 10 } : { limit: 10, startingAfter }
      const result = await org.listKeys(query)
      if (result.data.length !== 10) throw new Error(`listKeys returned ${result.data.length} keys`)
    }
    const first = { name: 'first page', run: () => page() }
    const deep = { name: 'deep page', run: () => page(largeData.deepCursor) }
    console.log(`[${name}] listKeys: the first page vs one 99 % of the way down ${count(listed)}`)
    const l = await compare([first, deep], timing)
    report.ratio(
      6,
      `${name}: listKeys deep page ÷ first page at ${count(listed)}`,
      l,
      'deep page',
      'first page',
      { between: [0.67, 1.5] },
    )
  } finally {
    await smallKc.close()
    await largeKc.close()
  }
}
