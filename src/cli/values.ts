import { UsageError } from './cli-errors'

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/** `500ms`, `30s`, `5m`, `6h`, `14d`, `2w` (decimals allowed: `1.5h`) in milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$/.exec(text.trim())
  if (!match) {
    throw new UsageError('expected a duration such as 30s, 5m, 6h or 14d')
  }
  const ms = Math.round(Number(match[1]) * UNITS[match[2]!]!)
  if (ms <= 0) throw new UsageError('a duration must be more than 0')
  return ms
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/

/**
 * An instant as epoch ms: an ISO 8601 date-time with a zone (`2030-01-01T00:00:00Z`), or a
 * duration from `now` (`14d`, `+2h`).
 */
export function parseInstant(text: string, now: number): number {
  if (ISO.test(text)) return Date.parse(text)
  try {
    return now + parseDuration(text.replace(/^\+/, ''))
  } catch {
    throw new UsageError(
      'expected an ISO 8601 date-time with a zone (2030-01-01T00:00:00Z) or a duration from now (14d)',
    )
  }
}
