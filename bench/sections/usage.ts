// Usage control's figures: what a key with a rate limit and credits costs to verify, against
// the same store's plain verification (memory), one raw round trip (Redis HGET, PostgreSQL's
// single-row UPDATE … RETURNING), and keycycle's verify followed by rate-limiter-flexible's
// consume on the same Redis (the two round trips a host bolts together without usage control).
// The key's limit and credits are large enough that no call in a run is refused: what is timed
// is the spend that goes through.
import pg from 'pg'
import { createKeycycle, type Keycycle } from '../../src/service/keycycle'
import { openBackend, PG_URL, REDIS_URL } from '../backends'
import { loadDependency } from '../deps'
import { compare, cycle } from '../harness'
import { makeTokens, verifyOk } from '../tokens'
import { type Context, reason } from './context'

const KEYS = 16
const CREDITS = { credits: { remaining: 1_000_000_000, refill: null } }
const LIMITED = { rateLimits: [{ name: 'api', limit: 1_000_000, windowMs: 1000 }], ...CREDITS }

// rate-limiter-flexible's Redis limiter, as the bench calls it.
interface RateLimiterModule {
  RateLimiterRedis: new (options: {
    storeClient: unknown
    points: number
    duration: number
    keyPrefix: string
  }) => { consume(key: string, points?: number): Promise<unknown> }
}

// Tokens of keys with `fields` (a limit and credits, or credits alone), checked to verify.
async function limitedTokens(kc: Keycycle, fields: typeof LIMITED | typeof CREDITS = LIMITED) {
  const tokens = await makeTokens(kc, KEYS)
  const admin = kc.asAdmin('bench')
  for (const token of tokens.valid) {
    await admin.updateKey(`key_${token.split('_')[1]}`, fields)
  }
  for (const token of tokens.valid) {
    const result = await kc.verify(token)
    if (!result.ok || result.credits === null) throw new Error('a limited key did not verify')
  }
  return tokens.valid
}

export async function usageFigures(name: string, ctx: Context): Promise<void> {
  if (name === 'memory') return memoryFigure(ctx)
  if (name === 'redis') return redisFigures(ctx)
  if (name === 'postgres') return postgresFigure(ctx)
}

async function memoryFigure({ report, timing }: Context): Promise<void> {
  const backend = await openBackend('memory')
  const kc = createKeycycle({ store: backend.store })
  try {
    const plain = await makeTokens(kc, KEYS)
    const limited = await limitedTokens(kc)
    console.log('\n[memory] verify with a limit and credits vs plain verify')
    const g = await compare(
      [
        { name: 'plain verify', run: verifyOk(kc, cycle(plain.valid)) },
        { name: 'limit + credits', run: verifyOk(kc, cycle(limited)) },
      ],
      timing,
    )
    report.ratio(
      11,
      'memory: verify with limit + credits ÷ plain verify',
      g,
      'limit + credits',
      'plain verify',
      { atLeast: 0.8 },
    )
  } finally {
    await kc.close()
    await backend.close()
  }
}

async function redisFigures({ report, timing }: Context): Promise<void> {
  let backend: Awaited<ReturnType<typeof openBackend>>
  try {
    backend = await openBackend('redis')
  } catch (error) {
    return report.skip('redis: usage figures', `cannot reach the server (${reason(error)})`)
  }
  const kc = createKeycycle({ store: backend.store })
  const { RateLimiterRedis } = await loadDependency<RateLimiterModule>('rate-limiter-flexible')
  const { Redis } = await import('ioredis')
  const client = new Redis(REDIS_URL, { enableOfflineQueue: true })
  const limiter = new RateLimiterRedis({
    storeClient: client,
    points: 1_000_000,
    duration: 1,
    keyPrefix: `kcbench-rlf-${Math.random().toString(36).slice(2, 8)}`,
  })
  try {
    const plain = await makeTokens(kc, KEYS)
    const limited = await limitedTokens(kc)
    const raw = backend.raw!
    const ids = plain.valid.map((t) => `key_${t.split('_')[1]}`)
    await raw.prime?.(JSON.stringify((await backend.store.getKeyWithOrganisation(ids[0]!))?.key))
    const nextId = cycle(ids)
    const nextPlain = cycle(plain.valid)
    const bolted = async () => {
      const token = nextPlain()
      const result = await kc.verify(token)
      if (!result.ok) throw new Error('plain verify refused')
      await limiter.consume(result.key.id)
    }
    console.log('\n[redis] verify with a limit and credits vs raw HGET and vs verify + consume')
    const g = await compare(
      [
        { name: raw.label, run: () => raw.read(nextId()) },
        { name: 'limit + credits', run: verifyOk(kc, cycle(limited)) },
        { name: 'verify + rate-limiter-flexible', run: bolted },
      ],
      timing,
    )
    report.ratio(
      12,
      `redis: verify with limit + credits ÷ ${raw.label}, 1 in flight`,
      g,
      'limit + credits',
      raw.label,
      { atLeast: 0.7 },
    )
    report.ratio(
      12,
      'redis: verify with limit + credits ÷ verify + rate-limiter-flexible consume',
      g,
      'limit + credits',
      'verify + rate-limiter-flexible',
      { atLeast: 1.6 },
    )
  } finally {
    client.disconnect()
    await kc.close()
  }
  try {
    await leasedFigure(backend, report, timing)
  } finally {
    await backend.close()
  }
}

// Leased mode against the cache's plain verification, one instance with both kinds of key: a
// lease of LEASE_UNITS makes one spend per LEASE_UNITS + 1 verifications of a key.
const LEASE_UNITS = 1000
async function leasedFigure(
  backend: Awaited<ReturnType<typeof openBackend>>,
  report: Context['report'],
  timing: Context['timing'],
): Promise<void> {
  const kc = createKeycycle({
    store: backend.store,
    cache: { maxStalenessMs: 60_000, maxEntries: 1000 },
    usage: { mode: 'leased', leaseUnits: LEASE_UNITS, leaseTtlMs: 60_000 },
  })
  try {
    const plain = await makeTokens(kc, KEYS)
    const limited = await limitedTokens(kc)
    console.log(`\n[redis] leased verify (leaseUnits ${LEASE_UNITS}) vs cached plain verify`)
    const g = await compare(
      [
        { name: 'cached plain verify', run: verifyOk(kc, cycle(plain.valid)) },
        { name: 'leased limit + credits', run: verifyOk(kc, cycle(limited)) },
      ],
      timing,
    )
    report.ratio(
      14,
      `redis: leased verify with limit + credits (leaseUnits ${LEASE_UNITS}) ÷ cached plain verify`,
      g,
      'leased limit + credits',
      'cached plain verify',
      { atLeast: 0.8 },
    )
  } finally {
    await kc.close()
  }
}

async function postgresFigure({ report, timing }: Context): Promise<void> {
  let backend: Awaited<ReturnType<typeof openBackend>>
  try {
    backend = await openBackend('postgres')
  } catch (error) {
    return report.skip('postgres: usage figure', `cannot reach the server (${reason(error)})`)
  }
  const kc = createKeycycle({ store: backend.store })
  // The floor: one single-row UPDATE … RETURNING on a table of its own, through its own pool.
  const pool = new pg.Pool({ connectionString: PG_URL, max: 1 })
  const table = `kcbench_spend_${Math.random().toString(36).slice(2, 8)}`
  try {
    await pool.query(`CREATE TABLE ${table} (id text PRIMARY KEY, remaining bigint NOT NULL)`)
    await pool.query(
      `INSERT INTO ${table} SELECT 'k' || g, 1000000000 FROM generate_series(1, ${KEYS}) g`,
    )
    const update = {
      name: `kcbench_update_${table}`,
      text: `UPDATE ${table} SET remaining = remaining - 1 WHERE id = $1 AND remaining >= 1 RETURNING remaining`,
    }
    const nextRow = cycle(Array.from({ length: KEYS }, (_, i) => `k${i + 1}`))
    const credits = await limitedTokens(kc, CREDITS)
    console.log('\n[postgres] verify with credits vs a raw single-row UPDATE … RETURNING')
    const g = await compare(
      [
        { name: 'UPDATE … RETURNING', run: () => pool.query({ ...update, values: [nextRow()] }) },
        { name: 'verify with credits', run: verifyOk(kc, cycle(credits)) },
      ],
      timing,
    )
    report.ratio(
      13,
      'postgres: verify with credits ÷ raw UPDATE … RETURNING',
      g,
      'verify with credits',
      'UPDATE … RETURNING',
      { atLeast: 0.7 },
    )
  } finally {
    await pool.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {})
    await pool.end()
    await kc.close()
    await backend.close()
  }
}
