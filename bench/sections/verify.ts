// Figures 1, 2, 3 and 7 for one store: verify against the hand-written floor (CPU-bound paths)
// or against one raw round trip (uncached reads), and an unknown key against a wrong secret.

import { createKeycycle } from '../../src/service/keycycle'
import { type Backend, openBackend, type StoreName } from '../backends'
import { createFloor } from '../floor'
import { type Case, compare, cycle } from '../harness'
import type { Target } from '../report'
import { checkTokens, makeTokens, verifyOk, verifyRefused } from '../tokens'
import { type Context, reason } from './context'

/** Tokens rotated through by every case, so no figure rests on one hot record. */
const FIXTURES = 16
/** The cache every cached figure uses: long enough that every call in a round is a hit. */
export const CACHE = { maxStalenessMs: 60_000, maxEntries: 10_000 }

const RAW_TARGET = { redis: 0.8, sqlite: 0.7, postgres: 0.7, mariadb: 0.7 } as const
/** Unknown key and wrong secret within ±10 % of each other. */
const PARITY: Target = { between: [0.9, 1.1] }

export async function verifyFigures(name: StoreName, ctx: Context): Promise<void> {
  let backend: Backend
  try {
    backend = await openBackend(name)
  } catch (error) {
    return ctx.report.skip(`${name}: figures 2, 3, 7`, `cannot reach the server (${reason(error)})`)
  }
  const kc = createKeycycle({ store: backend.store })
  const cached = createKeycycle({ store: backend.store, cache: CACHE })
  try {
    await measure(backend, kc, cached, ctx)
  } finally {
    await kc.close()
    await cached.close()
    await backend.close()
  }
}

async function measure(
  backend: Backend,
  kc: ReturnType<typeof createKeycycle>,
  cached: ReturnType<typeof createKeycycle>,
  { report, timing }: Context,
): Promise<void> {
  const name = backend.name
  const tokens = await makeTokens(kc, FIXTURES)
  await checkTokens(kc, tokens)
  await checkTokens(cached, tokens)
  const floor = createFloor('kc', tokens.valid)
  const nextFloorToken = cycle(tokens.valid)
  const cases = {
    floor: {
      name: 'floor',
      run: () => {
        if (!floor(nextFloorToken())) throw new Error('floor refused a valid token')
      },
    },
    valid: { name: 'verify', run: verifyOk(kc, cycle(tokens.valid)) },
    unknown: { name: 'unknown key', run: verifyRefused(kc, cycle(tokens.unknownKey)) },
    wrong: { name: 'wrong secret', run: verifyRefused(kc, cycle(tokens.wrongSecret)) },
    cached: { name: 'cached verify', run: verifyOk(cached, cycle(tokens.valid)) },
  } satisfies Record<string, Case>

  if (backend.raw === null) {
    // The memory store does no I/O: everything is measured against the floor, in one group.
    console.log(`\n[${name}] verify, cached verify, refusals vs the floor`)
    const g = await compare(Object.values(cases), timing)
    report.ratio(1, `${name}: verify ÷ floor`, g, 'verify', 'floor', { atLeast: 0.6 })
    report.ratio(2, `${name}: cached verify ÷ floor`, g, 'cached verify', 'floor', { atLeast: 0.5 })
    report.ratio(7, `${name}: unknown key ÷ wrong secret`, g, 'unknown key', 'wrong secret', PARITY)
    return
  }

  console.log(`\n[${name}] cached verify vs the floor`)
  const g2 = await compare([cases.floor, cases.cached], timing)
  report.ratio(2, `${name}: cached verify ÷ floor`, g2, 'cached verify', 'floor', { atLeast: 0.5 })

  const raw = backend.raw
  const keyIds = tokens.valid.map((t) => `key_${t.split('_')[1]}`)
  await raw.prime?.(JSON.stringify((await backend.store.getKeyWithOrganisation(keyIds[0]!))?.key))
  const nextId = cycle(keyIds)
  const rawCase = { name: raw.label, run: () => raw.read(nextId()) }
  console.log(`\n[${name}] uncached verify and refusals vs ${raw.label}, 1 in flight`)
  const g3 = await compare([rawCase, cases.valid, cases.unknown, cases.wrong], timing)
  const target = { atLeast: RAW_TARGET[name as keyof typeof RAW_TARGET] }
  const inflight = name === 'redis' ? ', 1 in flight' : ''
  report.ratio(3, `${name}: verify ÷ ${raw.label}${inflight}`, g3, 'verify', raw.label, target)
  report.ratio(7, `${name}: unknown key ÷ wrong secret`, g3, 'unknown key', 'wrong secret', PARITY)

  if (name === 'redis') {
    console.log(`\n[${name}] uncached verify vs ${raw.label}, 64 in flight`)
    const g64 = await compare(
      [
        { ...rawCase, inflight: 64 },
        { ...cases.valid, inflight: 64 },
      ],
      timing,
    )
    report.ratio(
      3,
      `${name}: verify ÷ ${raw.label}, 64 in flight`,
      g64,
      'verify',
      raw.label,
      target,
    )
  }
}
