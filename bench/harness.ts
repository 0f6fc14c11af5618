// Side-by-side timing. A group's cases take turns within every round (A B A B …, the order
// flipping each turn so neither side always runs first); each figure is a ratio taken within a
// round, and the median over rounds is reported with the spread. Drift (GC, JIT, the other
// core, a neighbour's test run) hits both sides of a ratio alike.

/** One thing to time: `run` is called again and again, `inflight` calls at a time (default 1). */
export interface Case {
  name: string
  run: () => unknown
  inflight?: number
}

/** How long and how often to time. */
export interface Timing {
  rounds: number
  /** Time per case per round, ms. */
  caseMs: number
  /** Turns each case takes within a round (the time is split between them). */
  slices: number
}

/** Operations per second of each case, per round: `rounds[round][case]`. */
export interface GroupResult {
  names: string[]
  rounds: number[][]
}

/** A ratio over rounds: the median and the spread. */
export interface Spread {
  median: number
  min: number
  max: number
}

// Calls `run` back to back until `endAt`, reading the clock only once a batch (at least ~1 ms
// of work), so the clock costs nothing next to a microsecond-scale operation.
async function worker(run: () => unknown, endAt: number): Promise<number> {
  let done = 0
  let batch = 1
  for (;;) {
    const started = performance.now()
    for (let i = 0; i < batch; i++) await run()
    done += batch
    const now = performance.now()
    if (now >= endAt) return done
    if (now - started < 1 && batch < 4096) batch *= 2
  }
}

/** Calls and elapsed ms of one case run for about `ms`. */
async function sample(c: Case, ms: number): Promise<{ done: number; elapsed: number }> {
  const started = performance.now()
  const endAt = started + ms
  const workers = Array.from({ length: c.inflight ?? 1 }, () => worker(c.run, endAt))
  const done = (await Promise.all(workers)).reduce((a, b) => a + b, 0)
  return { done, elapsed: performance.now() - started }
}

/** Operations per second of one case over `ms`. */
export async function opsPerSecond(c: Case, ms: number): Promise<number> {
  const { done, elapsed } = await sample(c, ms)
  return (done * 1000) / elapsed
}

/**
 * Times `cases` side by side: one warm-up round (discarded, shorter), then `timing.rounds`
 * rounds. Within a round the cases take turns in `timing.slices` slices each, so that a burst
 * of load from elsewhere falls on every side of a ratio alike.
 */
export async function compare(cases: Case[], timing: Timing): Promise<GroupResult> {
  for (const c of cases) await sample(c, Math.max(50, timing.caseMs / 2))
  const slices = Math.max(1, timing.slices)
  const rounds: number[][] = []
  for (let round = 0; round < timing.rounds; round++) {
    const done = new Array<number>(cases.length).fill(0)
    const elapsed = new Array<number>(cases.length).fill(0)
    for (let slice = 0; slice < slices; slice++) {
      const order = cases.map((_, i) => i)
      if ((round * slices + slice) % 2 === 1) order.reverse()
      for (const i of order) {
        const s = await sample(cases[i]!, timing.caseMs / slices)
        done[i]! += s.done
        elapsed[i]! += s.elapsed
      }
    }
    rounds.push(done.map((d, i) => (d * 1000) / elapsed[i]!))
  }
  return { names: cases.map((c) => c.name), rounds }
}

/** The median (upper median for an even count), minimum and maximum. */
export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b)
  return {
    median: sorted[Math.floor(sorted.length / 2)]!,
    min: sorted[0]!,
    max: sorted[sorted.length - 1]!,
  }
}

/** Per-round ratio of case `a`'s throughput to case `b`'s, over rounds. */
export function ratio(result: GroupResult, a: string, b: string): Spread {
  const ia = result.names.indexOf(a)
  const ib = result.names.indexOf(b)
  if (ia < 0 || ib < 0) throw new Error(`no case named ${ia < 0 ? a : b}`)
  return spread(result.rounds.map((hz) => hz[ia]! / hz[ib]!))
}

/** Median operations per second of one case. */
export function throughput(result: GroupResult, name: string): number {
  const i = result.names.indexOf(name)
  if (i < 0) throw new Error(`no case named ${name}`)
  return spread(result.rounds.map((hz) => hz[i]!)).median
}

/** Calls the items of `list` in turn, for rotating over several tokens. */
export function cycle<T>(list: readonly T[]): () => T {
  if (list.length === 0) throw new Error('cycle over an empty list')
  let i = 0
  return () => {
    const item = list[i]!
    i = i + 1 === list.length ? 0 : i + 1
    return item
  }
}
