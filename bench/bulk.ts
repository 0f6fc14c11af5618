// Large data sets for the scale figures, built by the core (newOrganisation, newKeyRecord) and
// handed to a sink in batches. Most keys get a random digest; an evenly spread sample gets real
// tokens, which the figures verify in turn, so a figure never rests on one hot record. IDs are
// ULIDs one millisecond apart in the past, each organisation's first key the oldest of its
// keys, so every index sees keys arrive in ID order, as real traffic does. IDs are encoded here
// rather than by the ulid package: at a million keys per store its cost was most of the load.
import { randomBytes } from 'node:crypto'
import { createDigester } from '../src/core/digest'
import { isKeyId } from '../src/core/ids'
import { newKeyRecord } from '../src/core/keys'
import { newOrganisation } from '../src/core/organisations'
import { mintToken, SECRET_BYTES, tokenHint } from '../src/core/token'
import type { Actor, KeyRecord, Organisation } from '../src/core/types'
import { platformHashes } from '../src/service/hashes'

/** Where bulk records go. */
export interface BulkSink {
  organisation(organisation: Organisation, firstKey: KeyRecord): Promise<void>
  keys(batch: KeyRecord[]): Promise<void>
}

export interface BulkPlan {
  organisations: number
  keysPerOrganisation: number
  /** How many keys get a real token (spread evenly over all of them). */
  samples: number
}

export interface BulkData {
  organisations: string[]
  /** Tokens of the sampled keys. */
  tokens: string[]
  /**
   * A key of the first organisation 99 % of the way down its list (newest first), with at
   * least 200 older keys: `startingAfter` it is a full page, and a store that reads ahead in
   * batches reads as much there as on the first page.
   */
  deepCursor: string
}

const BATCH = 10_000
/** Sampled tokens per data set. */
export const SAMPLES = 1_000
const TRIAL_MS = 14 * 86_400_000
const digest = createDigester(undefined, platformHashes())
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** `<kind>_` + a ULID for `time` (epoch ms) whose random part is 16 bytes of `random` at `at`. */
function ulidId(kind: 'key' | 'org', time: number, random: Buffer, at: number): string {
  let head = ''
  for (let i = 0, t = time; i < 10; i++, t = Math.floor(t / 32)) head = CROCKFORD[t % 32]! + head
  let tail = ''
  for (let i = 0; i < 16; i++) tail += CROCKFORD[random[at + i]! & 31]!
  return `${kind}_${head}${tail}`
}

/** Builds `plan` and feeds it to `sink`; resolves once every record is in. */
export async function loadBulk(sink: BulkSink, plan: BulkPlan): Promise<BulkData> {
  const total = plan.organisations * plan.keysPerOrganisation
  const stride = Math.max(1, Math.floor(total / plan.samples))
  const start = Date.now() - total - plan.organisations - 60_000
  const data: BulkData = { organisations: [], tokens: [], deepCursor: '' }
  let index = 0
  const deep = Math.min(
    Math.max(200, Math.floor(plan.keysPerOrganisation / 100)),
    plan.keysPerOrganisation - 11,
  )
  if (deep < 11) throw new Error('bulk: an organisation needs at least 22 keys')
  for (let o = 0; o < plan.organisations; o++) {
    const t0 = start + o * (plan.keysPerOrganisation + 1)
    const orgId = ulidId('org', t0, randomBytes(16), 0)
    const actor: Actor = { kind: 'organisation', id: orgId }
    data.organisations.push(orgId)
    // `random` holds 48 bytes per key from `at`: 16 for the ID, 32 for a digest of nothing.
    const build = (id: string, time: number, random: Buffer, at: number): KeyRecord => {
      let minted = { digest: random.toString('hex', at + 16, at + 48), hint: '*****0000' }
      if (index++ % stride === 0 && data.tokens.length < plan.samples) {
        const { token, secret } = mintToken('kc', id, randomBytes(SECRET_BYTES))
        data.tokens.push(token)
        minted = { digest: digest(id, secret), hint: tokenHint(token) }
      }
      return newKeyRecord({ organisation: orgId }, id, minted, actor, time, TRIAL_MS)
    }
    const first = randomBytes(48)
    const firstId = ulidId('key', t0, first, 0)
    if (!isKeyId(firstId)) throw new Error(`bulk: ${firstId} is not a key ID`)
    await sink.organisation(newOrganisation({}, orgId, actor, t0), build(firstId, t0, first, 0))
    for (let from = 1; from < plan.keysPerOrganisation; from += BATCH) {
      const to = Math.min(plan.keysPerOrganisation, from + BATCH)
      const random = randomBytes(48 * (to - from))
      const batch: KeyRecord[] = []
      for (let i = from; i < to; i++) {
        const at = 48 * (i - from)
        const id = ulidId('key', t0 + i, random, at)
        if (o === 0 && i === deep) data.deepCursor = id
        batch.push(build(id, t0 + i, random, at))
      }
      await sink.keys(batch)
    }
  }
  return data
}

/** Runs `work` over `items`, `concurrency` at a time; after a failure, starts no more. */
export async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0
  let failed = false
  const worker = async () => {
    while (next < items.length && !failed) {
      try {
        await work(items[next++]!)
      } catch (error) {
        failed = true
        throw error
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker))
}
