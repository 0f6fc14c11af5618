import type { Writable } from 'node:stream'

/** Where and how a command prints: stdout for results, stderr for notes and errors. */
export interface Output {
  json: boolean
  /** Whether a minted token may be printed: stdout is a terminal, or `--show-token`. */
  showToken: boolean
  stdout: Writable
  stderr: Writable
}

// Absent as `-`; an empty list as `none`, which is not the same (`rate_limits`: `null` takes the
// organisation's, `[]` has none).
const shown = (value: unknown): string => {
  if (value === null || value === undefined) return '-'
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(',')
  return String(value)
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v)

// Nested objects as dotted rows (`primary.hint`), an empty object as `-`; lists of records as
// indexed rows (`rate_limits[0].name`).
function rows(value: Record<string, unknown>, prefix = ''): [string, string][] {
  const out: [string, string][] = []
  for (const [name, v] of Object.entries(value)) {
    if (isRecord(v)) {
      const nested = rows(v, `${prefix}${name}.`)
      out.push(...(nested.length > 0 ? nested : [[`${prefix}${name}`, '-'] as [string, string]]))
    } else if (Array.isArray(v) && v.length > 0 && v.every(isRecord)) {
      for (const [i, item] of v.entries()) out.push(...rows(item, `${prefix}${name}[${i}].`))
    } else {
      out.push([`${prefix}${name}`, shown(v)])
    }
  }
  return out
}

/** A record as two aligned columns, field and value, nested fields dotted. */
export function recordTable(value: Record<string, unknown>): string {
  const all = rows(value)
  const width = Math.max(...all.map(([name]) => name.length))
  return all.map(([name, v]) => `${name.padEnd(width)}  ${v}`).join('\n')
}

/** Records as a table with a header row, one column per name in `columns` (dotted for nested). */
export function listTable(records: Record<string, unknown>[], columns: string[]): string {
  const cell = (record: Record<string, unknown>, column: string) =>
    shown(
      column
        .split('.')
        .reduce<unknown>((v, part) => (v as Record<string, unknown>)?.[part], record),
    )
  const table = [columns, ...records.map((r) => columns.map((c) => cell(r, c)))]
  const widths = columns.map((_, i) => Math.max(...table.map((row) => row[i]!.length)))
  return table
    .map((row) => row.map((v, i) => (i === row.length - 1 ? v : v.padEnd(widths[i]!))).join('  '))
    .join('\n')
}

/** Writes a result: JSON (one line) with `--json`, else the text `table` makes. */
export function print(out: Output, value: unknown, table: () => string): void {
  out.stdout.write(out.json ? `${JSON.stringify(value)}\n` : `${table()}\n`)
}

/** Writes a note for the person at the terminal, on stderr. */
export function note(out: Output, text: string): void {
  out.stderr.write(`keycycle: ${text}\n`)
}
