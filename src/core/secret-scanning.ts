import { NOBLE_HASHES } from './digest'
import { ULID_SOURCE } from './ids'
import { assertTokenPrefix, CHECKSUM_LENGTH, SECRET_LENGTH } from './token'

// GitHub's secret scanning partner program, the parts that decide without I/O: what a report's
// body may hold, the pattern GitHub is registered with, and the feedback GitHub reads back.

/** Largest report body accepted: 1 MiB. A longer one is refused (413) before it is verified. */
export const MAX_LEAK_REPORT_BYTES = 1024 * 1024
/** Most matches one report may hold; more is refused (413) and nothing is changed. */
export const MAX_LEAK_REPORT_MATCHES = 1000

/** One match GitHub reports: a string found in public content that looks like a token. */
export interface LeakMatch {
  /** The string found. Never stored, logged or put in an event; only its SHA-256 is answered. */
  token: string
  /** The secret type it was registered under (echoed back in the feedback). */
  type: string
  /** Where it was found (a commit's file, an issue, a gist…), or null when GitHub sent none. */
  url: string | null
  /** What kind of place it was found in (`content`, `commit`, `npm`…), or null. */
  source: string | null
}

/** What a report's body holds: its matches, or why it is refused. */
export type LeakReportBody =
  | { ok: true; matches: LeakMatch[] }
  | { ok: false; reason: 'malformed' | 'too_many_matches' }

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const optionalString = (value: unknown): string | null | undefined =>
  value === undefined || value === null ? null : typeof value === 'string' ? value : undefined

/**
 * Reads a report's (already verified) JSON text: an array of at most
 * {@link MAX_LEAK_REPORT_MATCHES} objects with a string `token` and `type`, and optional string
 * `url` and `source`; other members are ignored. Anything else is `malformed`; never throws.
 */
export function parseLeakReport(text: string): LeakReportBody {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    return { ok: false, reason: 'malformed' }
  }
  if (!Array.isArray(body)) return { ok: false, reason: 'malformed' }
  if (body.length > MAX_LEAK_REPORT_MATCHES) return { ok: false, reason: 'too_many_matches' }
  const matches: LeakMatch[] = []
  for (const item of body) {
    if (!isObject(item) || typeof item.token !== 'string' || typeof item.type !== 'string') {
      return { ok: false, reason: 'malformed' }
    }
    const url = optionalString(item.url)
    const source = optionalString(item.source)
    if (url === undefined || source === undefined) return { ok: false, reason: 'malformed' }
    matches.push({ token: item.token, type: item.type, url, source })
  }
  return { ok: true, matches }
}

/**
 * The regular expression to register with GitHub for tokens minted with `prefix`: the prefix,
 * `_`, the key's ULID, `_`, then the secret and checksum (49 base62 characters). Word
 * boundaries are left to the registration (GitHub asks for the token's own shape). Throws
 * `validation` for a prefix keycycle would refuse.
 */
export function tokenPatternFor(prefix: string): string {
  assertTokenPrefix(prefix)
  return `${prefix}_${ULID_SOURCE}_[0-9A-Za-z]{${SECRET_LENGTH + CHECKSUM_LENGTH}}`
}

/** GitHub's verdict labels for the optional feedback. */
export type LeakLabel = 'true_positive' | 'false_positive'

/** One item of the feedback body GitHub reads back from the response. */
export interface LeakFeedback {
  /** Lower-case hex SHA-256 of the token's UTF-8 bytes. */
  token_hash: string
  token_type: string
  label: LeakLabel
}

/** The feedback item for one match: the token's SHA-256, never the token. */
export function leakFeedback(match: LeakMatch, label: LeakLabel): LeakFeedback {
  return { token_hash: NOBLE_HASHES.sha256Hex(match.token), token_type: match.type, label }
}
