import type { Timing } from '../harness'
import type { Report } from '../report'

/** What every section gets: where figures go and how long to time. */
export interface Context {
  report: Report
  timing: Timing
  /** Development mode: smaller data sets as well as shorter rounds. */
  quick: boolean
}

/** An error's message, for a skip notice. */
export function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : ''
  const code = (error as { code?: unknown } | null)?.code
  return (
    [message, cause, typeof code === 'string' ? code : ''].filter(Boolean).join(': ') || 'error'
  )
}
