import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { UsageError } from './cli-errors'
import type { CommandSpec } from './command-line'
import { ERROR_EXIT } from './exit-codes'
import { type ImportSummary, importLines } from './import-lines'
import { note, print } from './output'
import { serviceCommand } from './service-command'
import { type Context, handleFor } from './session'

const positive = (what: string) => (text: string) => {
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value < 1) throw new UsageError(`${what}: a whole number ≥ 1`)
  return value
}

const lines = (file: string) =>
  createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY })

// Lines in the file, for the progress bar's total: one quick pass, on a terminal only.
async function countLines(file: string): Promise<number> {
  let n = 0
  for await (const _ of lines(file)) n++
  return n
}

// `[#####.....] 1,234/100,000 lines  created 1,200  existing 30  rejected 4`, redrawn in place.
function progressBar(stderr: NodeJS.WritableStream, from: number, total: number) {
  const width = 30
  const count = (n: number) => n.toLocaleString('en')
  let shownAt = 0
  const draw = (done: number, s: ImportSummary) => {
    const of = Math.max(total - from + 1, 1)
    const filled = Math.min(width, Math.round((done / of) * width))
    stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${count(from - 1 + done)}/${count(total)} lines  created ${count(s.created)}  existing ${count(s.existing)}  rejected ${count(s.rejected.length)}`,
    )
  }
  return {
    update(done: number, s: ImportSummary) {
      const now = Date.now()
      if (now - shownAt < 100) return
      shownAt = now
      draw(done, s)
    },
    clear: () => stderr.write('\r\u001b[2K'),
    finish(done: number, s: ImportSummary) {
      draw(done, s)
      stderr.write('\n')
    },
  }
}

/**
 * `key import FILE.jsonl`: one key per line (see `importLines`), as an admin. A progress bar on
 * stderr when it is a terminal; each rejected line on stderr with its number and reason; a
 * summary on stdout. Exits 0 when every line was imported or already there, with
 * `validation`'s status when lines were rejected, and with the fault's when the store failed
 * (after saying which line to resume at with `--from-line`).
 */
export function importCommand(context: Context): CommandSpec {
  return serviceCommand(context, {
    name: 'import',
    args: ['<file>'],
    summary: 'import existing tokens or their SHA-256 digests, one JSON object per line',
    options: [
      {
        name: 'organisation',
        placeholder: '<org_id>',
        description: 'the organisation of lines that name none',
      },
      {
        name: 'from-line',
        placeholder: '<n>',
        description: 'start at this line (1-based): to resume a run that stopped',
        default: 1,
        parse: positive('--from-line'),
      },
      {
        name: 'concurrency',
        placeholder: '<n>',
        description: 'imports in flight at once',
        default: 8,
        parse: positive('--concurrency'),
      },
    ],
    notes: `Each line: the fields of key create in wire spelling (organisation, name,
permissions, date_expires, …) and either "token" (the old token, digested here and never
stored) or "digest" (its SHA-256: 64 hex characters or base64), with an optional "hint"
(its last four characters). A re-run is safe: keys already imported are counted as existing.
Rejected lines are reported with their number; a store fault stops the run and says where to
resume (--from-line). Verifying imported tokens needs the service's importedTokens option.`,
    run: async (kc, { args: [file = ''], options, values }) => {
      const fromLine = values.fromLine as number
      const stderr = context.io.stderr as NodeJS.WritableStream & { isTTY?: boolean }
      const total = stderr.isTTY === true ? await countLines(file) : 0
      const bar = total > 0 ? progressBar(stderr, fromLine, total) : null
      const summary = await importLines({
        handle: handleFor(kc, options),
        lines: lines(file),
        fromLine,
        organisation: values.organisation as string | undefined,
        concurrency: values.concurrency as number,
        progress: (done, s) => bar?.update(done, s),
        rejected: ({ line, code, message }) => {
          bar?.clear()
          note(context.out, `line ${line}: ${code}: ${message}`)
        },
      })
      bar?.finish(summary.lines, summary)
      const { stopped, resumeAt, ...shown } = summary
      print(context.out, { ...shown, rejected: summary.rejected, resume_at: resumeAt }, () =>
        [
          `created ${summary.created}, existing ${summary.existing}, rejected ${summary.rejected.length}`,
          ...(resumeAt === null ? [] : [`stopped: resume with --from-line ${resumeAt}`]),
        ].join('\n'),
      )
      if (stopped !== null) {
        note(context.out, `stopped at line ${resumeAt}: resume with --from-line ${resumeAt}`)
        throw stopped
      }
      if (summary.rejected.length > 0) context.exit = ERROR_EXIT.validation
    },
  })
}
