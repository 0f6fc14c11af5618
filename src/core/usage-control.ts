import type { BucketRule, CreditsRule } from './counters'
import { type ClientIp, type IpRules, ipAllowed, parseClientIp, parseIpRules } from './ip-rules'
import { type PermissionQuery, parsePermissionQuery, satisfiesQuery } from './permission-query'
import type { EffectiveConfig, StoredCredits } from './types'
import { readInteger, readObject } from './validate'

/**
 * What a verification asks beyond "is this token valid" (`kc.verify(token, options)`): how
 * much it spends, where the request comes from, what it needs to be allowed.
 */
export interface VerifyOptions {
  /** Credits spent and units taken from every rate limit: an integer ≥ 0. Default 1. */
  cost?: number
  /** The client's address (IPv4 or IPv6), checked against the key's `allowedIps`. */
  ip?: string
  /**
   * The permissions the request needs: a name, or names joined by `AND` / `OR` with
   * parentheses (`'reports:read AND (billing:read OR admin)'`), or an array meaning all of them.
   */
  permissions?: string | readonly string[]
}

/** {@link VerifyOptions} validated: what the checks and the spend read. */
export interface VerifyAsk {
  cost: number
  ip: ClientIp | null
  permissions: PermissionQuery | null
}

/** What a verification asks when it is given no options. */
export const PLAIN_ASK: VerifyAsk = Object.freeze({ cost: 1, ip: null, permissions: null })

/** The largest cost one verification may ask. */
export const MAX_COST = 1_000_000

/**
 * Validates `kc.verify`'s options: `validation` for a cost that is not an integer from 0 to
 * {@link MAX_COST}, an address that is not one, a query that does not parse, an unknown option.
 * `parseIp` and `parseQuery` parse the two texts (callers pass memoised parsers).
 */
export function readVerifyOptions(
  options: unknown,
  parseIp: (text: unknown) => ClientIp = (text) => parseClientIp(text),
  parseQuery: (query: unknown) => PermissionQuery = (query) => parsePermissionQuery(query),
): VerifyAsk {
  if (options === undefined) return PLAIN_ASK
  const given = readObject(options, 'options', ['cost', 'ip', 'permissions'])
  return {
    cost: given.cost === undefined ? 1 : readInteger(given.cost, 'cost', 0, MAX_COST),
    ip: given.ip === undefined ? null : parseIp(given.ip),
    permissions: given.permissions === undefined ? null : parseQuery(given.permissions),
  }
}

/** A key's usage rules at one stored version (with its organisation's defaults). */
export interface UsageRules {
  /** Every rate limit in force, the key's own or its organisation's. */
  buckets: readonly BucketRule[]
  credits: CreditsRule | null
  /** The addresses the key may be used from; null: any. */
  ips: IpRules | null
}

/** A key with no usage rules: no limit, unlimited credits, any address. */
export const NO_RULES: UsageRules = Object.freeze({
  buckets: Object.freeze([]),
  credits: null,
  ips: null,
})

/**
 * A key's usage rules from its effective configuration (its own rate limits and allowed
 * addresses, else its organisation's: `effectiveConfig` decides) and its credits.
 */
export function usageRules(config: EffectiveConfig, credits: StoredCredits | null): UsageRules {
  const limits = config.rateLimits.value
  const addresses = config.allowedIps.value
  if ((limits === null || limits.length === 0) && addresses === null && credits === null) {
    return NO_RULES
  }
  return {
    buckets: (limits ?? []).map(({ name, limit, windowMs, scope }) => ({
      name,
      limit,
      windowMs,
      scope,
    })),
    credits: credits && {
      initial: credits.remaining,
      generation: credits.generation,
      refill: credits.refill,
      refillFrom: credits.refillFrom,
    },
    ips: addresses === null ? null : parseIpRules(addresses),
  }
}

/** Whether a verification under `rules` spends counters (so needs the store's spend). */
export function spendsCounters(rules: UsageRules): boolean {
  return rules.buckets.length > 0 || rules.credits !== null
}

/**
 * The checks that need no counter, in order: the client's address against the allowed ones
 * (none given while the key has a list: refused), then the permission query against the key's
 * grants. Null when both pass.
 */
export function checkAccess(
  rules: UsageRules,
  grants: readonly string[],
  ask: VerifyAsk,
): 'ip_forbidden' | 'insufficient_permissions' | null {
  if (rules.ips !== null && (ask.ip === null || !ipAllowed(rules.ips, ask.ip))) {
    return 'ip_forbidden'
  }
  if (ask.permissions !== null && !satisfiesQuery(ask.permissions, grants)) {
    return 'insufficient_permissions'
  }
  return null
}
