import { KeycycleError } from '../core/errors'
import { createKeyFromWire } from '../http/wire-in'
import type { ActorHandle } from '../service/handle'

/** A line `key import` refused, by its number (1-based) and why. */
export interface RejectedLine {
  line: number
  code: string
  message: string
}

/** What an import run did. */
export interface ImportSummary {
  /** Lines read from the first line asked for (blank lines included), up to where it ended. */
  lines: number
  created: number
  /** Lines whose token was already imported into that organisation: nothing written. */
  existing: number
  rejected: RejectedLine[]
  /**
   * Where a run that stopped should resume (the first line not done); null when it read the
   * whole file. Every line before it is done; some after it may be too (re-importing them is
   * idempotent).
   */
  resumeAt: number | null
  /** The fault that stopped the run, or null. */
  stopped: unknown
}

/** What {@link importLines} reads and tells. */
export interface ImportRun {
  handle: ActorHandle
  /** The file's lines, in order, without line ends. */
  lines: AsyncIterable<string>
  /** The first line to import (1-based); earlier lines are skipped unread. */
  fromLine: number
  /** The organisation of lines that name none; undefined: each line must. */
  organisation: string | undefined
  /** Imports in flight at once. */
  concurrency: number
  /** Called as lines finish: how many are done (numbered from 1) so far. */
  progress(done: number, summary: ImportSummary): void
  /** Called once for each rejected line, as it is rejected. */
  rejected(line: RejectedLine): void
}

// A line's own fault (reported, and the run goes on), as against the store's (the run stops).
const LINE_CODES = new Set(['validation', 'forbidden', 'not_found', 'conflict', 'limit'])

/**
 * Imports one key per line of JSON: the fields of `POST /keys` in wire spelling
 * (`organisation`, `name`, `permissions`, `date_expires`, …) and the old token as `token` or
 * its SHA-256 as `digest` (hex or base64), with an optional `hint`. Blank lines are skipped.
 * Idempotent (by digest, see `importKey`): a re-run imports what is missing and reports the
 * rest as existing. A line the service refuses is reported and the run goes on; a fault of the
 * store (or anything unexpected) stops it, with the line to resume at.
 */
export async function importLines(run: ImportRun): Promise<ImportSummary> {
  const summary: ImportSummary = {
    lines: 0,
    created: 0,
    existing: 0,
    rejected: [],
    resumeAt: null,
    stopped: null,
  }
  const inFlight = new Set<Promise<void>>()
  let number = 0
  let done = 0

  const reject = (line: number, code: string, message: string) => {
    const refused = { line, code, message }
    summary.rejected.push(refused)
    run.rejected(refused)
  }
  const one = async (line: number, text: string) => {
    try {
      const parsed: unknown = JSON.parse(text)
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        return reject(line, 'validation', 'not a JSON object')
      }
      const { token, digest, hint, ...fields } = parsed as Record<string, unknown>
      const organisation = fields.organisation ?? run.organisation
      const input = createKeyFromWire({ ...fields, ...(organisation ? { organisation } : {}) })
      const old = { token, digest, hint } as { token?: string; digest?: string; hint?: string }
      for (const name of ['token', 'digest', 'hint'] as const) {
        if (old[name] === undefined) delete old[name]
      }
      const { created } = await run.handle.importKey({ ...input, ...old })
      if (created) summary.created++
      else summary.existing++
    } catch (error) {
      if (error instanceof SyntaxError) reject(line, 'validation', `not JSON: ${error.message}`)
      else if (error instanceof KeycycleError && LINE_CODES.has(error.code)) {
        reject(line, error.code, error.message)
      } else if (summary.stopped === null) {
        summary.stopped = error
        summary.resumeAt = line
      } else summary.resumeAt = Math.min(summary.resumeAt ?? line, line)
    } finally {
      done++
      run.progress(done, summary)
    }
  }

  for await (const text of run.lines) {
    number++
    if (number < run.fromLine) continue
    if (summary.stopped !== null) break
    summary.lines++
    if (text.trim() === '') continue
    const task = one(number, text).finally(() => inFlight.delete(task))
    inFlight.add(task)
    if (inFlight.size >= run.concurrency) await Promise.race(inFlight)
  }
  // Lines in flight when a fault came end first: each either is done or lowers `resumeAt`.
  await Promise.all(inFlight)
  return summary
}
