import { invalidInput } from './errors'
import { isPermissionName, PERMISSION_CHARACTERS, permissionGranted } from './permissions'
import { MAX_PERMISSION_LENGTH } from './schema/limits'

/** Longest permission query text, in UTF-16 code units. */
export const MAX_QUERY_LENGTH = 1000
/** Most permission names one query may name (repeats count). */
export const MAX_QUERY_NAMES = 64
/** Deepest nesting of parentheses in a permission query. */
export const MAX_QUERY_DEPTH = 32

/**
 * A parsed permission query: a permission name, or all (`and`) or any (`or`) of two or more
 * sub-queries. Frozen. Chains of one operator are flat (`a AND (b AND c)` is one `and` of three),
 * so an `and` never holds an `and` and an `or` never holds an `or`.
 */
export type PermissionQuery =
  | { readonly kind: 'permission'; readonly name: string }
  | { readonly kind: 'and' | 'or'; readonly operands: readonly PermissionQuery[] }

type Operator = 'and' | 'or'
interface Token {
  readonly kind: 'name' | Operator | 'open' | 'close' | 'end'
  readonly text: string
  /** Where the token starts in the query, 0-based, in UTF-16 code units. */
  readonly at: number
}

const WHITESPACE = /[ \t\r\n]+/y
const WORD = /[A-Za-z0-9_.:*/-]+/y
const NAME_RULE = `1–${MAX_PERMISSION_LENGTH} characters of ${PERMISSION_CHARACTERS}`

// Any spelling of an operator is refused as a name, so that `a and b` is an error, not a query
// that silently needs a permission called `and`.
const isOperatorWord = (word: string) => /^(and|or)$/i.test(word)

function leaf(name: string): PermissionQuery {
  return Object.freeze({ kind: 'permission', name })
}

function combine(kind: Operator, parts: PermissionQuery[]): PermissionQuery {
  if (parts.length === 1) return parts[0] as PermissionQuery
  const operands = parts.flatMap((part) => (part.kind === kind ? part.operands : [part]))
  return Object.freeze({ kind, operands: Object.freeze(operands) })
}

function tokenize(text: string, field: string): Token[] {
  const tokens: Token[] = []
  let at = 0
  while (at < text.length) {
    WHITESPACE.lastIndex = at
    if (WHITESPACE.test(text)) {
      at = WHITESPACE.lastIndex
      continue
    }
    const char = text[at] as string
    if (char === '(' || char === ')') {
      tokens.push({ kind: char === '(' ? 'open' : 'close', text: char, at })
      at += 1
      continue
    }
    WORD.lastIndex = at
    const word = WORD.exec(text)?.[0]
    if (word === undefined) {
      const shown = JSON.stringify(String.fromCodePoint(text.codePointAt(at) as number))
      throw invalidInput(field, `unexpected character ${shown} at offset ${at}`)
    }
    if (word === 'AND' || word === 'OR') {
      tokens.push({ kind: word === 'AND' ? 'and' : 'or', text: word, at })
    } else if (isOperatorWord(word)) {
      throw invalidInput(
        field,
        `"${word}" at offset ${at} is not a permission name: the operators are AND and OR, in upper case`,
      )
    } else if (word.length > MAX_PERMISSION_LENGTH) {
      throw invalidInput(field, `the permission name at offset ${at} is not ${NAME_RULE}`)
    } else {
      tokens.push({ kind: 'name', text: word, at })
    }
    at += word.length
  }
  tokens.push({ kind: 'end', text: '', at: text.length })
  return tokens
}

// Recursive descent over `or := and (OR and)*`, `and := primary (AND primary)*`,
// `primary := name | ( or )`: AND binds tighter than OR.
function parseText(text: string, field: string): PermissionQuery {
  const tokens = tokenize(text, field)
  let next = 0
  let names = 0
  const peek = () => tokens[next] as Token
  const take = () => tokens[next++] as Token
  const fail = (message: string) => invalidInput(field, message)

  const list = (kind: Operator, depth: number, operand: (depth: number) => PermissionQuery) => {
    const parts = [operand(depth)]
    while (peek().kind === kind) {
      const operator = take()
      const after = peek().kind
      if (after !== 'name' && after !== 'open') {
        throw fail(`"${operator.text}" at offset ${operator.at} has no permission name after it`)
      }
      parts.push(operand(depth))
    }
    return combine(kind, parts)
  }

  // Two operands side by side (`a b`, `a (b)`, `(a) b`) lack an operator between them.
  const endOfOperand = (operand: PermissionQuery) => {
    const following = peek()
    if (following.kind === 'name' || following.kind === 'open') {
      throw fail(`expected AND or OR before "${following.text}" at offset ${following.at}`)
    }
    return operand
  }

  const primary = (depth: number): PermissionQuery => {
    const token = take()
    if (token.kind === 'name') {
      names += 1
      if (names > MAX_QUERY_NAMES) throw fail(`at most ${MAX_QUERY_NAMES} permission names`)
      return endOfOperand(leaf(token.text))
    }
    if (token.kind === 'open') {
      if (depth >= MAX_QUERY_DEPTH) {
        throw fail(`parentheses nested deeper than ${MAX_QUERY_DEPTH} at offset ${token.at}`)
      }
      const unclosed = () => fail(`"(" at offset ${token.at} is never closed`)
      if (peek().kind === 'close') throw fail(`empty parentheses at offset ${token.at}`)
      if (peek().kind === 'end') throw unclosed()
      const inner = or(depth + 1)
      if (take().kind !== 'close') throw unclosed()
      return endOfOperand(inner)
    }
    if (token.kind === 'close') throw fail(`")" at offset ${token.at} has no matching "("`)
    // An operator where an operand belongs: at the start, or right after "(".
    throw fail(`"${token.text}" at offset ${token.at} has no permission name before it`)
  }

  const and = (depth: number) => list('and', depth, primary)
  const or = (depth: number): PermissionQuery => list('or', depth, and)

  const query = or(0)
  const rest = peek()
  if (rest.kind === 'close') throw fail(`")" at offset ${rest.at} has no matching "("`)
  return query
}

function parseArray(items: readonly unknown[], field: string): PermissionQuery {
  if (items.length === 0) throw invalidInput(field, 'must not be an empty array')
  if (items.length > MAX_QUERY_NAMES) {
    throw invalidInput(field, `at most ${MAX_QUERY_NAMES} permission names`)
  }
  const leaves = items.map((item, i) => {
    if (!isPermissionName(item) || isOperatorWord(item)) {
      throw invalidInput(`${field}[${i}]`, `must be a permission name: ${NAME_RULE}, not AND or OR`)
    }
    return leaf(item)
  })
  return combine('and', leaves)
}

/**
 * Parses a permission query: a permission name; or names joined by `AND` and `OR` with
 * parentheses, `AND` binding tighter (`a OR b AND c` is `a OR (b AND c)`); or an array of names,
 * meaning all of them. Names follow the rule of a key's `permissions` (1–128 characters of
 * `[A-Za-z0-9_.:*\/-]`); a `*` in a queried name is matched literally, only grants expand.
 * Operators are exactly the upper-case words `AND` and `OR`; `and`, `Or` and the like are
 * refused rather than read as names, so no query can name a permission spelled as an operator.
 * Spaces, tabs and line breaks between tokens are free.
 *
 * Throws `invalidInput(field, …)` (code `validation`) saying what is wrong and where (offsets
 * are 0-based, in UTF-16 code units): an empty query, an unknown character, an operator without
 * a name on one side, unbalanced or empty parentheses, an invalid name, more than
 * `MAX_QUERY_LENGTH` characters, `MAX_QUERY_NAMES` names or `MAX_QUERY_DEPTH` levels of
 * parentheses; for an array, an empty array or an element that is not a name (the field is then
 * `permissions[i]`). Parse once per distinct query: the result is immutable and reusable.
 *
 * @example parsePermissionQuery('reports:read AND (billing:read OR admin)')
 */
export function parsePermissionQuery(input: unknown, field = 'permissions'): PermissionQuery {
  if (Array.isArray(input)) return parseArray(input, field)
  if (typeof input !== 'string') {
    const got = input === null ? 'null' : `a ${typeof input}`
    throw invalidInput(
      field,
      `must be a permission query (a string) or an array of names, got ${got}`,
    )
  }
  if (input.length > MAX_QUERY_LENGTH) {
    throw invalidInput(field, `at most ${MAX_QUERY_LENGTH} characters, got ${input.length}`)
  }
  if (input.trim() === '') throw invalidInput(field, 'must not be empty')
  return parseText(input, field)
}

/**
 * True when a key whose permissions are `grants` satisfies `query`: each name is checked with
 * `permissionGranted`, so wildcard grants (`reports:*`, `*`) apply inside queries. Allocates
 * nothing.
 */
export function satisfiesQuery(query: PermissionQuery, grants: readonly string[]): boolean {
  if (query.kind === 'permission') return permissionGranted(grants, query.name)
  const all = query.kind === 'and'
  for (let i = 0; i < query.operands.length; i++) {
    if (satisfiesQuery(query.operands[i] as PermissionQuery, grants) !== all) return !all
  }
  return all
}

/**
 * The canonical text of `query`: names joined by ` AND ` and ` OR ` with single spaces,
 * parentheses only around an `OR` inside an `AND`, operands in their written order. Queries that
 * differ only in spacing, redundant parentheses or the grouping of one operator describe alike
 * (an array of names describes as their `AND`), and `parsePermissionQuery` of the text gives an
 * equal query back; for messages and memo keys.
 */
export function describeQuery(query: PermissionQuery): string {
  if (query.kind === 'permission') return query.name
  const parts = query.operands.map((operand) => {
    const text = describeQuery(operand)
    return query.kind === 'and' && operand.kind === 'or' ? `(${text})` : text
  })
  return parts.join(query.kind === 'and' ? ' AND ' : ' OR ')
}
