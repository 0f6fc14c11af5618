import { invalidInput } from '../core/errors'

// Structured facts that come with a log line: IDs, counts, codes and, under `error`, what was
// thrown. Never a token, a secret or an event's body.
type LogFields = Record<string, unknown>

/**
 * Where keycycle writes what a host may want to know about: faults of background work (the
 * outbox, the last-used flush, the cache's change channel), failed and given-up deliveries.
 * Each method takes the message first and the structured fields second, the order of winston
 * and of `console` (so `logger: console` works). pino takes the object first: adapt it with
 * `{ error: (m, f) => log.error(f, m), … }` (see docs/observability.md#logs).
 *
 * Levels: `error` for what needs an operator (an event given up, the outbox unreadable),
 * `warn` for what keycycle retries by itself (a failed delivery attempt, a failed flush),
 * `info` for recoveries, `debug` for each delivery. A method that throws is ignored.
 */
export interface Logger {
  error(message: string, fields?: Record<string, unknown>): void
  warn(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
  debug(message: string, fields?: Record<string, unknown>): void
}

const LEVELS = ['error', 'warn', 'info', 'debug'] as const

/** The default logger: `error` and `warn` to the console, `info` and `debug` dropped. */
export const consoleLogger: Logger = {
  error: (message, fields) => console.error(message, ...(fields ? [fields] : [])),
  warn: (message, fields) => console.warn(message, ...(fields ? [fields] : [])),
  info: () => {},
  debug: () => {},
}

/**
 * Validates a host's logger (`validation` at `logger.<level>` for a missing method) and returns
 * it wrapped so that a throw from it never reaches keycycle's background work.
 */
export function readLogger(value: unknown, path = 'logger'): Logger {
  if (typeof value !== 'object' || value === null) {
    throw invalidInput(path, 'must be an object with error, warn, info and debug methods')
  }
  const given = value as Record<string, unknown>
  for (const level of LEVELS) {
    if (typeof given[level] !== 'function')
      throw invalidInput(`${path}.${level}`, 'must be a function')
  }
  const host = value as Logger
  const safe = (level: (typeof LEVELS)[number]) => (message: string, fields?: LogFields) => {
    try {
      if (fields === undefined) host[level](message)
      else host[level](message, fields)
    } catch {
      // A logger's fault must not become keycycle's: the line is lost, the work goes on.
    }
  }
  return { error: safe('error'), warn: safe('warn'), info: safe('info'), debug: safe('debug') }
}
