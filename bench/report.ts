// Figures, their targets and verdicts; the table printed at the end and the JSON written with it.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os'
import { dirname } from 'node:path'
import { type GroupResult, ratio, type Spread, throughput } from './harness'

export type Target =
  | { atLeast: number }
  | { atMost: number }
  | { between: [number, number] }
  | { none: true }

export type Unit = '×' | 'µs' | '%' | 'B'

/** One measured figure. `median`, `min`, `max` are over rounds. */
export interface Figure {
  /** The figure number, 1–7. */
  figure: number
  title: string
  unit: Unit
  median: number
  min: number
  max: number
  target: Target
  verdict: 'PASS' | 'SHORT' | 'INFO'
  /** What the ratio is made of, e.g. the two sides' operations per second. */
  note?: string
}

export const FIGURE_TITLES: Record<number, string> = {
  1: 'Memory store verify vs the hand-written floor',
  2: 'Cached verify (createKeycycle with `cache`) vs the floor',
  3: 'Uncached verify vs one raw round trip',
  4: 'Against better-auth + @better-auth/api-key, same SQLite file',
  5: 'HTTP: apiKeyAuth vs the bare route, real HTTP on loopback',
  6: 'Scale: 1,000,000 keys vs 1,000',
  7: 'Timing parity: unknown key ÷ wrong secret, end to end',
  15: 'OpenTelemetry: verification with telemetry on ÷ off',
}

// The precision a figure is printed with; verdicts are judged on the printed value, so a figure
// shown as 1.10 against "0.90 – 1.10" never reads SHORT.
function printed(value: number, unit: Unit): number {
  const digits = unit === 'B' ? 0 : unit === '×' && value < 20 ? 2 : 1
  return Number(value.toFixed(digits))
}

function judge(value: number, target: Target): Figure['verdict'] {
  if ('none' in target) return 'INFO'
  if ('atLeast' in target) return value >= target.atLeast ? 'PASS' : 'SHORT'
  if ('atMost' in target) return value <= target.atMost ? 'PASS' : 'SHORT'
  return value >= target.between[0] && value <= target.between[1] ? 'PASS' : 'SHORT'
}

export function format(value: number, unit: Unit): string {
  if (unit === 'B') return `${Math.round(value).toLocaleString('en')} B`
  if (unit === '%') return `${value.toFixed(1)} %`
  if (unit === 'µs') return `${value.toFixed(1)} µs`
  return `${value >= 20 ? value.toFixed(1) : value.toFixed(2)}×`
}

export function formatTarget(target: Target, unit: Unit): string {
  if ('none' in target) return '—'
  if ('atLeast' in target) return `≥ ${format(target.atLeast, unit)}`
  if ('atMost' in target) return `≤ ${format(target.atMost, unit)}`
  return `${format(target.between[0], unit)} – ${format(target.between[1], unit)}`
}

/** Operations per second, rounded to three significant digits and grouped: `41 900`. */
export function ops(value: number): string {
  const rounded = Number(value.toPrecision(3))
  return Math.round(rounded).toLocaleString('en').replaceAll(',', ' ')
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  } catch {
    return ''
  }
}

/** The machine and the code a run measured. */
export function describeMachine() {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${platform()} ${release()}`,
    /** 1-minute load average: above ~1 on 2 cores, something else was running too. */
    load: Number(loadavg()[0]!.toFixed(2)),
    commit: git(['rev-parse', '--short', 'HEAD']).trim(),
    // Other work in progress is measured too: list what differs from the commit.
    uncommitted: git(['status', '--porcelain', '--', 'src', 'adapters'])
      .split('\n')
      .filter(Boolean)
      .map((line) => line.slice(3)),
  }
}

/** Collects figures as they are measured and prints each one at once. */
export class Report {
  readonly figures: Figure[] = []
  readonly skipped: { what: string; why: string }[] = []
  readonly started = new Date()
  readonly loadAtStart = Number(loadavg()[0]!.toFixed(2))

  add(
    figure: number,
    title: string,
    value: Spread,
    unit: Unit,
    target: Target,
    note?: string,
  ): void {
    const entry: Figure = {
      figure,
      title,
      unit,
      median: value.median,
      min: value.min,
      max: value.max,
      target,
      verdict: judge(printed(value.median, unit), target),
      ...(note === undefined ? {} : { note }),
    }
    this.figures.push(entry)
    console.log(`  ${line(entry)}`)
  }

  /** Adds the ratio of case `a`'s throughput to case `b`'s in `group`, noting both rates. */
  ratio(figure: number, title: string, group: GroupResult, a: string, b: string, target: Target) {
    const note = `${ops(throughput(group, a))}/s vs ${ops(throughput(group, b))}/s`
    this.add(figure, title, ratio(group, a, b), '×', target, note)
  }

  skip(what: string, why: string): void {
    this.skipped.push({ what, why })
    console.warn(`  SKIPPED ${what}: ${why}`)
  }

  /** The whole table, grouped by figure number. */
  table(): string {
    const out: string[] = []
    for (const [number, heading] of Object.entries(FIGURE_TITLES)) {
      const rows = this.figures.filter((f) => f.figure === Number(number))
      if (rows.length === 0) continue
      out.push('', `${number}. ${heading}`)
      for (const row of rows) out.push(`  ${line(row)}`)
    }
    if (this.skipped.length > 0) {
      out.push('', 'Skipped')
      for (const s of this.skipped) out.push(`  ${s.what}: ${s.why}`)
    }
    const short = this.figures.filter((f) => f.verdict === 'SHORT').length
    const pass = this.figures.filter((f) => f.verdict === 'PASS').length
    out.push('', `${pass} PASS, ${short} SHORT, ${this.skipped.length} skipped`)
    return out.join('\n')
  }

  write(path: string, extra: Record<string, unknown>): void {
    mkdirSync(dirname(path), { recursive: true })
    const body = {
      date: this.started.toISOString(),
      seconds: Math.round((Date.now() - this.started.getTime()) / 1000),
      loadAtStart: this.loadAtStart,
      machine: describeMachine(),
      ...extra,
      figures: this.figures,
      skipped: this.skipped,
    }
    writeFileSync(path, `${toJson(body, '', 0)}\n`)
  }
}

function line(f: Figure): string {
  const value = format(f.median, f.unit).padStart(9)
  const range = `[${format(f.min, f.unit)} – ${format(f.max, f.unit)}]`.padEnd(23)
  const target = formatTarget(f.target, f.unit).padEnd(15)
  const note = f.note === undefined ? '' : `  ${f.note}`
  return `${f.title.padEnd(58)} ${value} ${range} ${target} ${f.verdict.padEnd(5)}${note}`
}

// JSON as Biome formats it (bench/ is linted): two-space indentation, objects expanded, arrays
// of plain values on one line when that line fits in 100 columns.
function toJson(value: unknown, indent: string, column: number): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  const inner = `${indent}  `
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]'
    if (value.every((v) => v === null || typeof v !== 'object')) {
      const flat = `[${value.map((v) => JSON.stringify(v)).join(', ')}]`
      if (column + flat.length + 1 <= 100) return flat
    }
    const items = value.map((v) => `${inner}${toJson(v, inner, inner.length)}`)
    return `[\n${items.join(',\n')}\n${indent}]`
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined)
  if (entries.length === 0) return '{}'
  const lines = entries.map(([k, v]) => {
    const head = `${inner}${JSON.stringify(k)}: `
    return `${head}${toJson(v, inner, head.length)}`
  })
  return `{\n${lines.join(',\n')}\n${indent}}`
}
