import { MAX_PERMISSION_LENGTH } from './schema/limits'

/** The characters a permission name is made of, as messages spell them. */
export const PERMISSION_CHARACTERS = 'A–Z a–z 0–9 _ . : * / -'

const PERMISSION_NAME = new RegExp(`^[A-Za-z0-9_.:*/-]{1,${MAX_PERMISSION_LENGTH}}$`)

/**
 * True when `value` is a permission name: 1 to `MAX_PERMISSION_LENGTH` characters of
 * `[A-Za-z0-9_.:*\/-]`. The one rule for a key's `permissions` and for the names of a
 * permission query.
 */
export function isPermissionName(value: unknown): value is string {
  return typeof value === 'string' && PERMISSION_NAME.test(value)
}

const STAR = 0x2a
const COLON = 0x3a
const DOT = 0x2e
const SLASH = 0x2f

// A grant ending in `*` right after a separator (or `*` alone) is a wildcard: it grants every
// name it prefixes. A `*` anywhere else is an ordinary character.
function isWildcard(grant: string): boolean {
  const last = grant.length - 1
  if (last < 0 || grant.charCodeAt(last) !== STAR) return false
  if (last === 0) return true
  const before = grant.charCodeAt(last - 1)
  return before === COLON || before === DOT || before === SLASH
}

// `name` starts with the first `length` characters of `grant`, compared in place: evaluation
// runs on every verification and must not allocate.
function startsWithPrefix(name: string, grant: string, length: number): boolean {
  for (let i = 0; i < length; i++) {
    if (name.charCodeAt(i) !== grant.charCodeAt(i)) return false
  }
  return true
}

/**
 * True when `grants` (a key's `permissions`) grant `name`: an exact match, or a wildcard grant
 * covering it. A wildcard is a grant ending in `*` right after `:`, `.` or `/`, or `*` alone;
 * it grants every longer name it prefixes: `reports:*` grants `reports:read` and
 * `reports:export:csv`, not `reports`, `reports:` or `reportsx`; `*` grants every name. A `*`
 * anywhere else (`report*`) is an ordinary character, matched exactly. Allocates nothing.
 *
 * @example permissionGranted(['reports:*'], 'reports:read') // true
 */
export function permissionGranted(grants: readonly string[], name: string): boolean {
  for (let i = 0; i < grants.length; i++) {
    const grant = grants[i] as string
    if (grant === name) return true
    if (!isWildcard(grant)) continue
    const prefixLength = grant.length - 1
    if (name.length > prefixLength && startsWithPrefix(name, grant, prefixLength)) return true
  }
  return false
}
