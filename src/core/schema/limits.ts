// What every store must hold. Validation admits exactly these values, and each store is built to
// keep all of them unchanged: the SQL columns are sized from these limits (see
// adapters/kysely/migrations.ts), and the conformance suite writes every limit to every store.
// Lengths count UTF-16 code units, as `string.length` does; a character outside the BMP (an
// emoji) counts 2, so a limit of n code units never exceeds n characters in a SQL varchar(n).

/** Longest `name`, in UTF-16 code units (SQL `varchar(255)`). */
export const MAX_NAME_LENGTH = 255
/** Longest `description`, in UTF-16 code units (SQL `varchar(1000)`). */
export const MAX_DESCRIPTION_LENGTH = 1000
/** Longest string config ID, in UTF-16 code units. */
export const MAX_CONFIG_ID_LENGTH = 255
/**
 * Longest JSON text of a config ID, as stores that keep its JSON type write it: a control
 * character escapes to six characters (`\u0001`), plus the two quotes. SQL keeps it as `text`.
 */
export const MAX_CONFIG_ID_JSON_LENGTH = 6 * MAX_CONFIG_ID_LENGTH + 2
/** Most permissions one key may carry. */
export const MAX_PERMISSIONS = 100
/** Longest permission, in characters of `[A-Za-z0-9_.:*\/-]`. */
export const MAX_PERMISSION_LENGTH = 128
/** Largest `metadata` object, in bytes of its UTF-8 JSON encoding (SQL `text`). */
export const MAX_METADATA_BYTES = 4096
/** Most rate limits one key (or organisation) may carry. */
export const MAX_RATE_LIMITS = 8
/** Longest rate-limit name, in characters of `[a-z0-9_-]`. */
export const MAX_RATE_LIMIT_NAME_LENGTH = 32
/**
 * Largest rate limit, in units per window. Far above any per-key rate an API serves; what is
 * larger is better counted as credits.
 */
export const MAX_RATE_LIMIT = 1_000_000
/** Shortest rate-limit window, in ms: one second. */
export const MIN_RATE_LIMIT_WINDOW_MS = 1000
/** Longest rate-limit window, in ms: one day. A longer budget is credits with a refill. */
export const MAX_RATE_LIMIT_WINDOW_MS = 86_400_000
/**
 * Largest credit balance or refill amount: 10^12, exact in every store (SQL `bigint`, Redis
 * scripts' doubles) with room to spare.
 */
export const MAX_CREDITS = 1_000_000_000_000
/** Shortest credit refill interval, in ms: one second. */
export const MIN_REFILL_INTERVAL_MS = 1000
/** Longest credit refill interval, in ms: 366 days, so a yearly refill fits. */
export const MAX_REFILL_INTERVAL_MS = 366 * 86_400_000
/** Longest actor ID, in UTF-16 code units: `admin:<id>` is stored as the writer (`varchar(300)`). */
export const MAX_ACTOR_ID_LENGTH = 255

// U+0000, or a surrogate without its pair (no UTF-8 encoding exists for it).
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what it looks for
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/**
 * Why `text` cannot be stored unchanged everywhere, or null when it can. Two things are refused:
 * U+0000, which PostgreSQL text cannot hold, and lone UTF-16 surrogates, which are not Unicode
 * and which every UTF-8 store (and JSON parser outside JavaScript) replaces or rejects. Every
 * other character, control characters included, is kept exactly.
 */
export function unstorable(text: string): string | null {
  const found = UNSTORABLE.exec(text)
  if (found === null) return null
  return found[0] === '\u0000'
    ? `must not contain U+0000 (NUL), at index ${found.index}: PostgreSQL cannot store it`
    : `must not contain a lone UTF-16 surrogate, at index ${found.index}: it is not Unicode`
}
