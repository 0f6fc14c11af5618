// Prints a bench results file as the Markdown table the README's "Performance" section shows:
//
//   node --import tsx bench/markdown.ts [bench/results/latest.json]
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BENCH_DIR } from './paths'
import { FIGURE_TITLES, type Figure, format, formatTarget } from './report'

interface Results {
  date: string
  seconds: number
  loadAtStart: number
  machine: {
    cpu: string
    cores: number
    node: string
    load: number
    commit: string
    uncommitted: string[]
  }
  options: { rounds: number; caseMs: number; slices: number; largeKeys: number }
  figures: Figure[]
  skipped: { what: string; why: string }[]
}

const path = process.argv[2] ?? join(BENCH_DIR, 'results', 'latest.json')
const results: Results = JSON.parse(readFileSync(path, 'utf8'))
const { machine, options } = results
// Words wrapped at 100 columns, as the README is.
function wrap(text: string): string {
  const lines: string[] = []
  let line = ''
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > 100) {
      lines.push(line)
      line = word
    } else line = line === '' ? word : `${line} ${word}`
  }
  return [...lines, line].join('\n')
}

const changed = machine.uncommitted.length
const out = [
  wrap(
    `Run of ${results.date.slice(0, 16).replace('T', ' ')} UTC (${results.seconds} s) on ${machine.cpu}, ` +
      `${machine.cores} cores, Node ${machine.node}; commit ${machine.commit}` +
      (changed > 0
        ? ` with ${changed} files of src/ and adapters/ changed in the working tree`
        : '') +
      `; load average ${results.loadAtStart} at the start, ${machine.load} at the end; ` +
      `${options.rounds} rounds of ${options.caseMs} ms per case, in ${options.slices} turns.`,
  ),
  '',
  '| figure | median | min – max | target | | the two sides |',
  '|---|---|---|---|---|---|',
]
for (const [number, heading] of Object.entries(FIGURE_TITLES)) {
  const rows = results.figures.filter((f) => f.figure === Number(number))
  if (rows.length === 0) continue
  out.push(`| **${number}. ${heading}** | | | | | |`)
  for (const f of rows) {
    const spread = f.min === f.max ? '' : `${format(f.min, f.unit)} – ${format(f.max, f.unit)}`
    const verdict = f.verdict === 'INFO' ? '' : f.verdict
    const cells = [
      f.title,
      format(f.median, f.unit),
      spread,
      formatTarget(f.target, f.unit),
      verdict,
    ]
    out.push(`| ${[...cells, f.note ?? ''].map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`)
  }
}
for (const s of results.skipped) out.push('', `Skipped: ${s.what} (${s.why}).`)
console.log(out.join('\n'))
