import { USAGE_OUTCOMES } from '../core/key-usage'
import type { presentKeyUsage } from '../http/wire-out'
import { listTable } from './output'

/** A key's usage as the HTTP API and `--json` show it. */
export type WireKeyUsage = ReturnType<typeof presentKeyUsage>

// Eighths of a block, so a bar's length is exact to 1/8 of a character.
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉']
const BAR_WIDTH = 40

function bar(value: number, max: number): string {
  const eighths = max === 0 ? 0 : Math.round((value / max) * BAR_WIDTH * 8)
  return '█'.repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]!
}

// `2026-01-15T12:00:00.000Z` as `2026-01-15 12:00` (hourly) or `2026-01-15` (daily).
const label = (iso: string, granularity: string) =>
  granularity === 'day' ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`

// The outcomes that occurred in the range, in the order of `USAGE_OUTCOMES` (`success` first).
const outcomesOf = (usage: WireKeyUsage) => USAGE_OUTCOMES.filter((o) => o in usage.totals)

/**
 * A key's usage for a terminal: one line per bucket with a bar of its total (Unicode blocks,
 * scaled to the busiest bucket), the refusals beside it, and the totals below.
 */
export function usageChart(usage: WireKeyUsage): string {
  const max = Math.max(0, ...usage.buckets.map((b) => b.counts.total))
  const width = String(max).length
  const lines = usage.buckets.map((b) => {
    const { total, success = 0, ...refused } = b.counts
    const detail = Object.entries(refused)
      .map(([outcome, n]) => `${outcome} ${n}`)
      .join(', ')
    const count = String(total).padStart(width)
    const extra = detail === '' ? '' : `  (${success} ok; ${detail})`
    return `${label(b.start, usage.granularity)}  ${count} ${bar(total, max)}${extra}`
  })
  const totals = outcomesOf(usage)
    .map((outcome) => `${outcome} ${usage.totals[outcome]}`)
    .join(', ')
  return [
    `${usage.key}: verifications by ${usage.granularity} (UTC), ${usage.from} to ${usage.to}`,
    ...lines,
    `total ${usage.totals.total}${totals === '' ? '' : `: ${totals}`}`,
  ].join('\n')
}

/** A key's usage as a plain table: one row per bucket, one column per outcome that occurred. */
export function usageTable(usage: WireKeyUsage): string {
  const columns = ['start', 'total', ...outcomesOf(usage)]
  const rows = usage.buckets.map((b) => ({ start: b.start, ...b.counts }))
  return listTable(
    rows.map((row) =>
      Object.fromEntries(columns.map((c) => [c, (row as Record<string, unknown>)[c] ?? 0])),
    ),
    columns,
  )
}
