import { EXPIRABLE_STATES } from './expiry'
import type { KeyRecord, KeyState } from './types'

/**
 * One conjunction a store evaluates against a record: the stored state is one of `states`, and
 * (when set) `expiresAt` is non-null and ≤ `expiresAtOrBefore`, and (when set) `expiresAt` is
 * null or > `notExpiredAt`. Filters are lists of clauses joined by OR. The core builds them from
 * `now`, so a store only compares numbers and never decides what "expired" means.
 */
export interface StateClause {
  states: readonly KeyState[]
  expiresAtOrBefore?: number
  notExpiredAt?: number
}

/** The clauses selecting keys whose effective state at `now` is `state`. */
export function stateFilter(state: KeyState, now: number): StateClause[] {
  switch (state) {
    case 'active':
    case 'deactivated':
      return [{ states: [state], notExpiredAt: now }]
    case 'blocked':
      return [{ states: ['blocked'] }]
    case 'expired':
      return [{ states: ['expired'] }, { states: EXPIRABLE_STATES, expiresAtOrBefore: now }]
  }
}

/** The clause selecting keys whose expiry is due but not yet persisted. */
export function dueClause(now: number): StateClause & { expiresAtOrBefore: number } {
  return { states: EXPIRABLE_STATES, expiresAtOrBefore: now }
}

/** Evaluates one clause; the reference semantics every store must reproduce. */
export function matchesClause(
  record: Pick<KeyRecord, 'state' | 'expiresAt'>,
  clause: StateClause,
): boolean {
  const { expiresAt } = record
  if (!clause.states.includes(record.state)) return false
  if (
    clause.expiresAtOrBefore !== undefined &&
    (expiresAt === null || expiresAt > clause.expiresAtOrBefore)
  ) {
    return false
  }
  return clause.notExpiredAt === undefined || expiresAt === null || expiresAt > clause.notExpiredAt
}

/** True when the record matches any clause (an absent filter matches everything). */
export function matchesFilter(
  record: Pick<KeyRecord, 'state' | 'expiresAt'>,
  clauses: readonly StateClause[] | undefined,
): boolean {
  return clauses === undefined || clauses.some((clause) => matchesClause(record, clause))
}
