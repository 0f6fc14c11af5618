import type { Kysely } from 'kysely'

/** The SQL a host's Kysely writes: PostgreSQL's, MySQL's (MariaDB's too), or SQLite's. */
export type SqlFlavour = 'postgres' | 'mysql' | 'other'

/**
 * Which SQL the host's Kysely writes, told from a compiled probe (no I/O): `$1` placeholders
 * are PostgreSQL's, backquoted names MySQL's; anything else (SQLite) needs nothing special.
 */
export function sqlFlavour(db: Kysely<unknown>): SqlFlavour {
  const probe = db as unknown as Kysely<{ t: { c: number } }>
  const { sql } = probe.selectFrom('t').select('c').where('c', '=', 0).compile()
  if (sql.includes('$1')) return 'postgres'
  return sql.includes('`') ? 'mysql' : 'other'
}
