// Loads the large Redis data set of figure 6 in a process of its own, through the store port,
// while the main process loads the memory and SQLite ones: the three loads are each bound by
// one process's CPU, and the machine has two cores. Answers the parent with the BulkData.
//
//   node --import tsx bench/redis-loader.ts <prefix> <organisations> <keys per organisation>
import { redisStore } from '../adapters/redis'
import { redisClient } from './backends'
import { type BulkData, inParallel, loadBulk, SAMPLES } from './bulk'

export type LoaderMessage = { type: 'done'; data: BulkData } | { type: 'failed'; error: string }

const [prefix = '', organisations, keysPerOrganisation] = process.argv.slice(2)
const send = (message: LoaderMessage) =>
  new Promise<void>((resolve) => process.send?.(message, () => resolve()))

try {
  const client = await redisClient({ autoPipelining: true })
  // Write markers expire at once (a million of them would only take memory), and the deadline
  // allows for the queue of a bulk load on a busy machine.
  const store = redisStore(client, { prefix, markerTtlMs: 1000, commandTimeoutMs: 60_000 })
  const inserted = async (work: Promise<boolean>) => {
    if (!(await work)) throw new Error('redis: a bulk insert was refused')
  }
  const data = await loadBulk(
    {
      organisation: (o, k) => inserted(store.insertOrganisation(o, k)),
      keys: (batch) => inParallel(batch, 128, (record) => inserted(store.insertKey(record))),
    },
    {
      organisations: Number(organisations),
      keysPerOrganisation: Number(keysPerOrganisation),
      samples: SAMPLES,
    },
  )
  client.disconnect()
  await send({ type: 'done', data })
} catch (error) {
  await send({ type: 'failed', error: error instanceof Error ? error.message : String(error) })
}
process.exit(0)
