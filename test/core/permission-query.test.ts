import { describe, expect, it } from 'vitest'
import { KeycycleError } from '../../src/core/errors'
import {
  describeQuery,
  MAX_QUERY_DEPTH,
  MAX_QUERY_LENGTH,
  MAX_QUERY_NAMES,
  type PermissionQuery,
  parsePermissionQuery,
  satisfiesQuery,
} from '../../src/core/permission-query'
import { MAX_PERMISSION_LENGTH } from '../../src/core/schema/limits'

const satisfies = (query: unknown, grants: string[]) =>
  satisfiesQuery(parsePermissionQuery(query), grants)

function refusal(input: unknown, field?: string): KeycycleError {
  try {
    if (field === undefined) parsePermissionQuery(input)
    else parsePermissionQuery(input, field)
  } catch (error) {
    expect(error).toBeInstanceOf(KeycycleError)
    return error as KeycycleError
  }
  throw new Error(`${JSON.stringify(input)} parsed`)
}

describe('satisfiesQuery', () => {
  it.each([
    ['reports:read', ['reports:read'], true],
    ['reports:read', ['reports:write'], false],
    ['a AND b', ['a', 'b'], true],
    ['a AND b', ['a'], false],
    ['a OR b', ['b'], true],
    ['a OR b', [], false],
    ['reports:read AND (billing:read OR admin)', ['reports:read', 'admin'], true],
    ['reports:read AND (billing:read OR admin)', ['reports:read', 'billing:read'], true],
    ['reports:read AND (billing:read OR admin)', ['billing:read', 'admin'], false],
    ['reports:read AND (billing:read OR admin)', ['reports:read'], false],
    ['(a OR b) AND (c OR d)', ['b', 'c'], true],
    ['(a OR b) AND (c OR d)', ['a', 'b'], false],
    ['((a))', ['a'], true],
  ])('%s with %j: %s', (query, grants, expected) => {
    expect(satisfies(query, grants)).toBe(expected)
  })

  it('binds AND tighter than OR: a OR b AND c is a OR (b AND c)', () => {
    expect(satisfies('a OR b AND c', ['a'])).toBe(true)
    expect(satisfies('a OR b AND c', ['b'])).toBe(false)
    expect(satisfies('a OR b AND c', ['b', 'c'])).toBe(true)
    expect(satisfies('a AND b OR c', ['c'])).toBe(true)
    expect(satisfies('a AND b OR c', ['a'])).toBe(false)
    expect(satisfies('(a OR b) AND c', ['a'])).toBe(false)
    expect(parsePermissionQuery('a OR b AND c')).toEqual(parsePermissionQuery('a OR (b AND c)'))
  })

  it('applies wildcard grants to each name of a query', () => {
    expect(satisfies('reports:read AND billing:export', ['reports:*', 'billing:*'])).toBe(true)
    expect(satisfies('reports:read AND billing:export', ['reports:*'])).toBe(false)
    expect(satisfies('admin OR reports:read', ['reports:*'])).toBe(true)
    expect(satisfies('a AND (b OR c)', ['*'])).toBe(true)
    expect(satisfies(['reports:read', 'reports:write'], ['reports:*'])).toBe(true)
  })

  it('matches a * in a queried name literally: only grants expand', () => {
    expect(satisfies('reports:*', ['reports:read'])).toBe(false)
    expect(satisfies('reports:*', ['reports:*'])).toBe(true)
  })

  it('reads an array as all of its names', () => {
    expect(satisfies(['a', 'b'], ['a', 'b', 'c'])).toBe(true)
    expect(satisfies(['a', 'b'], ['a'])).toBe(false)
    expect(satisfies(['a'], ['a'])).toBe(true)
    expect(parsePermissionQuery(['a', 'b'])).toEqual(parsePermissionQuery('a AND b'))
  })

  it('takes free whitespace between tokens, and none around parentheses', () => {
    const query = parsePermissionQuery('a AND (b OR c)')
    expect(parsePermissionQuery('  a\tAND\n(b   OR c)\r\n')).toEqual(query)
    expect(parsePermissionQuery('a AND(b OR c)')).toEqual(query)
  })
})

describe('parsePermissionQuery', () => {
  it('gives frozen, flat trees', () => {
    const query = parsePermissionQuery('a AND (b AND c) AND (d OR (e OR f))')
    expect(query).toEqual({
      kind: 'and',
      operands: [
        { kind: 'permission', name: 'a' },
        { kind: 'permission', name: 'b' },
        { kind: 'permission', name: 'c' },
        {
          kind: 'or',
          operands: ['d', 'e', 'f'].map((name) => ({ kind: 'permission', name })),
        },
      ],
    })
    const frozen = (q: PermissionQuery): boolean =>
      Object.isFrozen(q) &&
      (q.kind === 'permission' || (Object.isFrozen(q.operands) && q.operands.every(frozen)))
    expect(frozen(query)).toBe(true)
  })

  it.each([
    ['', 'permissions: must not be empty'],
    ['   ', 'permissions: must not be empty'],
    ['a # b', 'permissions: unexpected character "#" at offset 2'],
    ['a AND b\u00a0', 'permissions: unexpected character "\u00a0" at offset 7'],
    ['a AND 😀', 'permissions: unexpected character "😀" at offset 6'],
    ['a AND', 'permissions: "AND" at offset 2 has no permission name after it'],
    ['a OR ', 'permissions: "OR" at offset 2 has no permission name after it'],
    ['a AND OR b', 'permissions: "AND" at offset 2 has no permission name after it'],
    ['a AND )', 'permissions: "AND" at offset 2 has no permission name after it'],
    ['OR a', 'permissions: "OR" at offset 0 has no permission name before it'],
    ['(AND a)', 'permissions: "AND" at offset 1 has no permission name before it'],
    ['(a', 'permissions: "(" at offset 0 is never closed'],
    ['a AND (b OR (c)', 'permissions: "(" at offset 6 is never closed'],
    ['a AND (', 'permissions: "(" at offset 6 is never closed'],
    ['a)', 'permissions: ")" at offset 1 has no matching "("'],
    [')', 'permissions: ")" at offset 0 has no matching "("'],
    ['(a OR b)) AND c', 'permissions: ")" at offset 8 has no matching "("'],
    ['a AND ()', 'permissions: empty parentheses at offset 6'],
    ['a b', 'permissions: expected AND or OR before "b" at offset 2'],
    ['a (b)', 'permissions: expected AND or OR before "(" at offset 2'],
    ['(a) b', 'permissions: expected AND or OR before "b" at offset 4'],
    [
      'a and b',
      'permissions: "and" at offset 2 is not a permission name: the operators are AND and OR, in upper case',
    ],
    [
      'Or',
      'permissions: "Or" at offset 0 is not a permission name: the operators are AND and OR, in upper case',
    ],
    [
      `a OR ${'x'.repeat(MAX_PERMISSION_LENGTH + 1)}`,
      `permissions: the permission name at offset 5 is not 1–${MAX_PERMISSION_LENGTH} characters of A–Z a–z 0–9 _ . : * / -`,
    ],
  ])('refuses %j: %s', (input, message) => {
    const error = refusal(input)
    expect([error.code, error.details.field, error.message]).toEqual([
      'validation',
      'permissions',
      message,
    ])
  })

  it('refuses what is neither a string nor an array, naming the field it is given', () => {
    for (const input of [null, undefined, 42, { all: ['a'] }]) {
      const error = refusal(input, 'options.permissions')
      expect([error.code, error.details.field]).toEqual(['validation', 'options.permissions'])
      expect(error.message).toMatch(/^options\.permissions: must be a permission query/)
    }
  })

  it.each([
    [[], 'permissions', 'permissions: must not be an empty array'],
    [['a', 7], 'permissions[1]', 'permissions[1]: must be a permission name'],
    [['a', ''], 'permissions[1]', 'permissions[1]: must be a permission name'],
    [['a OR b'], 'permissions[0]', 'permissions[0]: must be a permission name'],
    [['a', 'AND'], 'permissions[1]', 'permissions[1]: must be a permission name'],
    [['or'], 'permissions[0]', 'permissions[0]: must be a permission name'],
  ])('refuses the array %j at %s', (input, field, message) => {
    const error = refusal(input)
    expect([error.code, error.details.field]).toEqual(['validation', field])
    expect(error.message.startsWith(message)).toBe(true)
  })

  it(`takes up to ${MAX_QUERY_LENGTH} characters`, () => {
    const name = 'p'.repeat(MAX_PERMISSION_LENGTH)
    const longest = `${name} OR ${name}`.padEnd(MAX_QUERY_LENGTH, ' ')
    expect(satisfies(longest, [name])).toBe(true)
    expect(refusal(`${longest} `).message).toBe(
      `permissions: at most ${MAX_QUERY_LENGTH} characters, got ${MAX_QUERY_LENGTH + 1}`,
    )
  })

  it(`takes up to ${MAX_QUERY_NAMES} names, in text or an array`, () => {
    const names = Array.from({ length: MAX_QUERY_NAMES }, (_, i) => `p${i}`)
    expect(satisfies(names.join(' OR '), ['p63'])).toBe(true)
    expect(satisfies(names, names)).toBe(true)
    const tooMany = [...names, 'one-more']
    for (const input of [tooMany.join(' AND '), tooMany]) {
      const error = refusal(input)
      expect([error.details.field, error.message]).toEqual([
        'permissions',
        `permissions: at most ${MAX_QUERY_NAMES} permission names`,
      ])
    }
  })

  it(`takes parentheses nested ${MAX_QUERY_DEPTH} deep, not deeper`, () => {
    const nested = (depth: number) => `${'('.repeat(depth)}a${')'.repeat(depth)}`
    expect(satisfies(nested(MAX_QUERY_DEPTH), ['a'])).toBe(true)
    expect(refusal(nested(MAX_QUERY_DEPTH + 1)).message).toBe(
      `permissions: parentheses nested deeper than ${MAX_QUERY_DEPTH} at offset ${MAX_QUERY_DEPTH}`,
    )
    // Far past the bound, the refusal comes before the recursion gets deep.
    expect(refusal(nested(400)).code).toBe('validation')
  })
})

describe('describeQuery', () => {
  it.each([
    ['a', 'a'],
    ['(a)', 'a'],
    ['a   AND b', 'a AND b'],
    ['a OR b AND c', 'a OR b AND c'],
    ['a OR (b AND c)', 'a OR b AND c'],
    ['(a OR b) AND c', '(a OR b) AND c'],
    ['a AND (b AND c)', 'a AND b AND c'],
    ['reports:read AND (billing:read OR admin)', 'reports:read AND (billing:read OR admin)'],
    ['((a OR b) OR (c AND (d OR e)))', 'a OR b OR c AND (d OR e)'],
  ])('%s describes as %s, which parses back to the same query', (input, text) => {
    const query = parsePermissionQuery(input)
    expect(describeQuery(query)).toBe(text)
    expect(parsePermissionQuery(text)).toEqual(query)
  })

  it('describes an array as the AND of its names', () => {
    expect(describeQuery(parsePermissionQuery(['a', 'b:*']))).toBe('a AND b:*')
  })
})
