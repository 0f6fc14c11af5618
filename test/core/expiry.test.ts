import { describe, expect, it } from 'vitest'
import { effectiveState } from '../../src/core/expiry'
import { dueClause, matchesClause, matchesFilter, stateFilter } from '../../src/core/filters'
import type { KeyState } from '../../src/core/types'
import { KEY_STATES } from '../../src/core/types'
import { T0 } from '../helpers/clock'

const T = T0 + 1000

describe('effective state', () => {
  it('is exact: valid at T − 1 ms, expired at T', () => {
    expect(effectiveState({ state: 'active', expiresAt: T }, T - 1)).toBe('active')
    expect(effectiveState({ state: 'active', expiresAt: T }, T)).toBe('expired')
    expect(effectiveState({ state: 'deactivated', expiresAt: T }, T)).toBe('expired')
  })

  it('keeps blocked keys blocked past their date, and keys without a date forever', () => {
    expect(effectiveState({ state: 'blocked', expiresAt: T }, T + 1)).toBe('blocked')
    expect(effectiveState({ state: 'active', expiresAt: null }, Number.MAX_SAFE_INTEGER)).toBe(
      'active',
    )
  })
})

describe('state filters agree with effectiveState', () => {
  const expiries = [null, T - 1, T, T + 1]
  const cases = KEY_STATES.flatMap((state) => expiries.map((expiresAt) => ({ state, expiresAt })))

  it.each(KEY_STATES)(
    'a record matches stateFilter(%s, now) iff that is its effective state',
    (wanted: KeyState) => {
      for (const record of cases) {
        expect(matchesFilter(record, stateFilter(wanted, T)), JSON.stringify(record)).toBe(
          effectiveState(record, T) === wanted,
        )
      }
    },
  )

  it('dueClause selects unswept expiries only', () => {
    for (const record of cases) {
      const due =
        record.state !== 'blocked' &&
        record.state !== 'expired' &&
        record.expiresAt !== null &&
        record.expiresAt <= T
      expect(matchesClause(record, dueClause(T)), JSON.stringify(record)).toBe(due)
    }
  })

  it('an absent filter matches everything', () => {
    expect(cases.every((record) => matchesFilter(record, undefined))).toBe(true)
  })
})
