// npm run bench — verification at its floor on every store (see README "Performance").
//
//   npm run bench                         everything, about five minutes
//   npm run bench -- --quick              shorter rounds and smaller data sets, for development
//   npm run bench -- --only memory,redis  only what concerns these stores (or sections)
//
// Every figure is a ratio of two things timed side by side in the same rounds; the table at the
// end shows each one's median over rounds, its spread, its target and PASS or SHORT. The same
// figures, the machine and the date go to bench/results/latest.json (or --out).
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { STORES } from './backends'
import { BENCH_DIR } from './paths'
import { describeMachine, Report } from './report'
import { analyticsFigures } from './sections/analytics'
import { type Context, reason } from './sections/context'
import { httpFigures } from './sections/http'
import { importFigures } from './sections/import'
import { peerFigures } from './sections/peer'
import { SCALE_STORES, scaleFigures } from './sections/scale'
import { telemetryFigures } from './sections/telemetry'
import { usageFigures } from './sections/usage'
import { verifyFigures } from './sections/verify'

const SECTIONS = [
  'verify',
  'usage',
  'telemetry',
  'analytics',
  'import',
  'peer',
  'http',
  'scale',
] as const
const SUBJECTS = [...STORES, 'better-auth', 'express', 'koa'] as const
const ALIASES: Record<string, string> = { mysql: 'mariadb', pg: 'postgres', peer: 'peer' }

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    'case-ms': { type: 'string' },
    keys: { type: 'string' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
})

if (values.help) {
  console.log(`npm run bench -- [options]
  --only a,b      sections (${SECTIONS.join(', ')}) and/or subjects (${SUBJECTS.join(', ')});
                  a unit runs when its section and its subject are selected (either list
                  empty selects all): --only memory,redis, --only scale, --only http,koa
  --quick         3 rounds of 100 ms, 20,000 keys for the scale figures
  --rounds N      rounds per group (default 9)
  --case-ms N     time per case per round in ms, in 8 turns (default 200)
  --keys N        keys in the large data set of the scale figures (default 1000000)
  --out PATH      where the JSON goes (default bench/results/latest.json)`)
  process.exit(0)
}

const only = (values.only ?? '')
  .split(',')
  .map((s) => s.trim().toLowerCase())
  .filter(Boolean)
  .map((s) => ALIASES[s] ?? s)
for (const word of only) {
  if (
    !(SECTIONS as readonly string[]).includes(word) &&
    !(SUBJECTS as readonly string[]).includes(word)
  )
    throw new Error(`--only: unknown section or subject "${word}"`)
}
const sections = only.filter((w) => (SECTIONS as readonly string[]).includes(w))
const subjects = only.filter((w) => (SUBJECTS as readonly string[]).includes(w))
const selected = (section: string, subject: string) =>
  (sections.length === 0 || sections.includes(section)) &&
  (subjects.length === 0 || subjects.includes(subject))

const integer = (value: string | undefined, fallback: number) => {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`expected a positive integer: ${value}`)
  return n
}
const quick = values.quick ?? false
const ctx: Context = {
  report: new Report(),
  timing: {
    rounds: integer(values.rounds, quick ? 3 : 9),
    caseMs: integer(values['case-ms'], quick ? 100 : 200),
    slices: quick ? 2 : 8,
  },
  quick,
}
const largeKeys = integer(values.keys, quick ? 20_000 : 1_000_000)
const out = values.out ?? join(BENCH_DIR, 'results', 'latest.json')

const machine = describeMachine()
console.log(
  `keycycle bench — ${ctx.report.started.toISOString()}\n${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, commit ${machine.commit}, load ${machine.load}` +
    (machine.uncommitted.length > 0 ? ` + uncommitted ${machine.uncommitted.join(', ')}` : '') +
    `\n${ctx.timing.rounds} rounds of ${ctx.timing.caseMs} ms per case (in ${ctx.timing.slices} turns) after a warm-up round; figures are medians of per-round ratios [min – max]`,
)

// A unit that fails (a store mid-change, a server gone) is reported and the run goes on.
async function unit(label: string, work: () => Promise<void>): Promise<void> {
  try {
    await work()
  } catch (error) {
    ctx.report.skip(label, `FAILED: ${reason(error)}`)
    if (process.env.BENCH_DEBUG) console.error(error)
  }
}

for (const store of STORES) {
  if (selected('verify', store)) await unit(`verify ${store}`, () => verifyFigures(store, ctx))
}
for (const store of ['memory', 'redis', 'postgres'] as const) {
  if (selected('usage', store)) await unit(`usage ${store}`, () => usageFigures(store, ctx))
}
for (const store of STORES) {
  if (selected('import', store)) await unit(`import ${store}`, () => importFigures(store, ctx))
}
if (selected('telemetry', 'memory')) await unit('telemetry memory', () => telemetryFigures(ctx))
if (selected('analytics', 'memory')) await unit('analytics memory', () => analyticsFigures(ctx))
if (selected('peer', 'better-auth')) await unit('peer better-auth', () => peerFigures(ctx))
for (const framework of ['express', 'koa'] as const) {
  if (selected('http', framework))
    await unit(`http ${framework}`, () => httpFigures(framework, ctx))
}
const scaled = SCALE_STORES.filter((store) => selected('scale', store))
if (scaled.length > 0) await unit('scale', () => scaleFigures(scaled, largeKeys, ctx))

console.log(`\n${'='.repeat(100)}\nkeycycle bench, ${ctx.report.started.toISOString()}`)
console.log(ctx.report.table())
ctx.report.write(out, { options: { ...ctx.timing, quick, largeKeys, only } })
console.log(`\nwritten to ${out}`)
