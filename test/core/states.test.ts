import { describe, expect, it } from 'vitest'
import { ADMIN } from '../../src/conformance/fixtures'
import { KeycycleError } from '../../src/core/errors'
import { type KeyAction, transition } from '../../src/core/states'
import type { Actor, KeyRecord, KeyState } from '../../src/core/types'
import { HOUR, T0 } from '../helpers/clock'
import { fakeDigest, keyRecord } from '../helpers/records'

// docs/decisions.md#states, transcribed independently of STATE_TABLE so the test can disagree with the code.
const SPEC_ROWS: { action: KeyAction; from: KeyState[]; to: KeyState; who: Actor['kind'][] }[] = [
  { action: 'deactivate', from: ['active'], to: 'deactivated', who: ['organisation', 'admin'] },
  { action: 'activate', from: ['deactivated'], to: 'active', who: ['organisation', 'admin'] },
  { action: 'block', from: ['active', 'deactivated'], to: 'blocked', who: ['admin'] },
  { action: 'unblock', from: ['blocked'], to: 'active', who: ['admin'] },
  { action: 'extend', from: ['expired'], to: 'active', who: ['admin'] },
]
const STATES: KeyState[] = ['active', 'deactivated', 'blocked', 'expired']
const ACTORS: Actor[] = [{ kind: 'organisation', id: 'org_x' }, ADMIN]

// A record whose effective state at T0 + 1h is `state`; `expired` is an unswept past expiry.
function inState(state: KeyState): KeyRecord {
  if (state === 'expired') return keyRecord({ state: 'active', expiresAt: T0 + HOUR })
  return keyRecord({ state })
}

describe('the state table, every action × state × actor', () => {
  const now = T0 + HOUR
  for (const row of SPEC_ROWS) {
    for (const from of STATES) {
      for (const actor of ACTORS) {
        const allowed = row.from.includes(from) && row.who.includes(actor.kind)
        const expected = allowed
          ? row.to
          : row.who.includes(actor.kind)
            ? 'invalid_transition'
            : 'forbidden'
        it(`${row.action} ${from} by ${actor.kind} → ${expected}`, () => {
          const record = inState(from)
          const run = () => transition(record, row.action, actor, now, now + HOUR)
          if (allowed) {
            const result = run()
            expect(result).toMatchObject({ from, to: row.to })
            expect(result.record.version).toBe(record.version + 1)
            expect(result.record.modifiedAt).toBe(now)
            expect(result.record.modifiedBy).toBe(`${actor.kind}:${actor.id}`)
            return
          }
          const error = (() => {
            try {
              run()
            } catch (e) {
              return e
            }
          })()
          expect(error).toBeInstanceOf(KeycycleError)
          expect(error).toMatchObject({
            code: expected,
            details: { from, to: row.to, actor: actor.kind },
          })
        })
      }
    }
  }
})

describe('expiry by the clock', () => {
  const system = { kind: 'system' } as const
  it.each(['active', 'deactivated'] as const)(
    'persists %s → expired once due, by the system only',
    (state) => {
      const record = keyRecord({ state, expiresAt: T0 + HOUR })
      expect(() => transition(record, 'expire', system, T0 + HOUR - 1)).toThrow(/cannot expire/)
      expect(transition(record, 'expire', system, T0 + HOUR)).toMatchObject({
        from: state,
        to: 'expired',
        record: { state: 'expired', modifiedBy: 'system' },
      })
      expect(() => transition(record, 'expire', ACTORS[1]!, T0 + HOUR)).toThrow(/not allowed/)
    },
  )

  it('never expires a blocked key: the admin decision wins', () => {
    const record = keyRecord({ state: 'blocked', expiresAt: T0 + HOUR })
    expect(() => transition(record, 'expire', system, T0 + 2 * HOUR)).toThrow(/cannot expire/)
  })

  it('unblocking a key whose date passed while blocked reports it expired', () => {
    const record = keyRecord({ state: 'blocked', expiresAt: T0 + HOUR })
    expect(transition(record, 'unblock', ACTORS[1]!, T0 + 2 * HOUR).to).toBe('expired')
  })

  it('extend needs a future date (or null) and sets it', () => {
    const record = inState('expired')
    const admin = ACTORS[1]!
    expect(() => transition(record, 'extend', admin, T0 + HOUR, T0 + HOUR)).toThrow(/future/)
    expect(transition(record, 'extend', admin, T0 + HOUR, null).record.expiresAt).toBeNull()
  })

  it('blocking kills retiring tokens in both slots', () => {
    const retiring = { ...fakeDigest(), until: T0 + 2 * HOUR, lastUsedAt: null }
    const record = keyRecord()
    record.primary.retiring = retiring
    record.secondary = { ...fakeDigest(), rotatedAt: T0, lastUsedAt: null, retiring }
    const blocked = transition(record, 'block', ACTORS[1]!, T0).record
    expect(blocked.primary.retiring).toBeNull()
    expect(blocked.secondary?.retiring).toBeNull()
  })
})
