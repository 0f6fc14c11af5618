import { invalidInput } from '../errors'
import { MAX_IP_RULES, normaliseIpRules } from '../ip-rules'
import type { RateLimit } from '../types'
import { integer, oneOf, slug } from './codecs'
import { itemPath, joinPath, type Schema } from './field'
import {
  MAX_CREDITS,
  MAX_RATE_LIMIT,
  MAX_RATE_LIMIT_NAME_LENGTH,
  MAX_RATE_LIMIT_WINDOW_MS,
  MAX_RATE_LIMITS,
  MAX_REFILL_INTERVAL_MS,
  MIN_RATE_LIMIT_WINDOW_MS,
  MIN_REFILL_INTERVAL_MS,
} from './limits'

// The fields of usage control, shared by keys and organisations: rate limits, credits and IP
// allow-lists. Each key and organisation field gives them its own meaning of `null`.

/** Where a rate limit's budget lives: the key's own, or one shared by its organisation. */
export const RATE_LIMIT_SCOPES = [
  'key',
  'organisation',
] as const satisfies readonly RateLimit['scope'][]

/** One rate limit, as an item of `rateLimits`. */
export const RATE_LIMIT_FIELDS = {
  name: {
    wire: 'name',
    doc: 'Unique in its list; names the limit in verification results and `RateLimit` headers.',
    create: true,
    patch: true,
    required: true,
    ...slug(MAX_RATE_LIMIT_NAME_LENGTH),
  },
  limit: {
    wire: 'limit',
    doc: 'Units in the bucket: the largest burst, and the units refilled per window.',
    create: true,
    patch: true,
    required: true,
    ...integer(1, MAX_RATE_LIMIT),
  },
  windowMs: {
    wire: 'window_ms',
    doc: 'Ms in which an empty bucket refills, continuously (one unit every `window_ms / limit`).',
    create: true,
    patch: true,
    required: true,
    ...integer(MIN_RATE_LIMIT_WINDOW_MS, MAX_RATE_LIMIT_WINDOW_MS),
  },
  scope: {
    wire: 'scope',
    doc: "`key`: a budget of the key's own; `organisation`: one budget for all the keys of the organisation with a limit of this name.",
    create: true,
    patch: true,
    default: 'key',
    ...oneOf(RATE_LIMIT_SCOPES),
  },
} as const satisfies Schema

function uniqueNames(list: unknown, path: string): unknown {
  const seen = new Set<string>()
  for (const [i, limit] of (list as RateLimit[]).entries()) {
    if (seen.has(limit.name)) {
      throw invalidInput(
        joinPath(itemPath(path, i), 'name'),
        'repeats the name of an earlier limit',
      )
    }
    seen.add(limit.name)
  }
  return list
}

/** A list of rate limits: at most `MAX_RATE_LIMITS`, names unique, `scope` `key` by default. */
export const rateLimitList = {
  type: `rate limit[] (≤ ${MAX_RATE_LIMITS})`,
  items: RATE_LIMIT_FIELDS,
  maxItems: MAX_RATE_LIMITS,
  parse: uniqueNames,
}

/** How credits refill, as `credits.refill`. */
export const CREDIT_REFILL_FIELDS = {
  amount: {
    wire: 'amount',
    doc: 'The balance after each refill: it replaces the balance, it does not add to it.',
    create: true,
    patch: true,
    required: true,
    ...integer(0, MAX_CREDITS),
  },
  intervalMs: {
    wire: 'interval_ms',
    doc: "Ms between refills, counted from the key's creation or the last change of `refill`.",
    create: true,
    patch: true,
    required: true,
    ...integer(MIN_REFILL_INTERVAL_MS, MAX_REFILL_INTERVAL_MS),
  },
} as const satisfies Schema

/** A key's credits, as `credits`. */
export const CREDITS_FIELDS = {
  remaining: {
    wire: 'remaining',
    doc: 'The balance. Setting it, even to its current value, starts a new balance; required when the key has no credits yet.',
    create: true,
    patch: true,
    ...integer(0, MAX_CREDITS),
  },
  refill: {
    wire: 'refill',
    doc: 'Refills; `null`: never refilled.',
    type: 'refill',
    create: true,
    patch: true,
    nullable: true,
    fields: CREDIT_REFILL_FIELDS,
  },
} as const satisfies Schema

/**
 * An IP allow-list: 1 to `MAX_IP_RULES` IPv4 or IPv6 addresses or CIDR blocks, stored
 * normalised (see `normaliseIpRules`).
 */
export const ipList = {
  type: `string[] (1–${MAX_IP_RULES} IP addresses or CIDR blocks)`,
  parse: (value: unknown, path: string) => normaliseIpRules(value, path),
}
