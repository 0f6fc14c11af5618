import { type Kysely, type RawBuilder, sql } from 'kysely'
import { compileOnce, type Statement } from './compiled'
import { KEY_COLUMNS, type KeycycleTables, ORGANISATION_COLUMNS, type TableNames } from './schema'
import type { SqlFlavour } from './sql-flavour'

const prefixed = (table: string, columns: readonly string[]) =>
  columns.map((column) => sql.ref(`${table}.${column}`))

/**
 * A JSON array of `values`, as text where the dialect allows: PostgreSQL's `json_build_array`
 * cast to text (so no type parser of the host's pool is involved; it takes up to 100
 * arguments), `json_array` elsewhere (text on MariaDB and SQLite; MySQL's JSON type, which
 * mysql2 may hand back parsed). Text columns become JSON strings, integers JSON numbers, NULL
 * null.
 */
function jsonArray(flavour: SqlFlavour, values: RawBuilder<unknown>[]): RawBuilder<unknown> {
  const list = sql.join(values)
  return flavour === 'postgres' ? sql`json_build_array(${list})::text` : sql`json_array(${list})`
}

/**
 * The verification read, compiled once: a key and its organisation, one JOIN, as one column
 * holding a JSON array of every key column, then every organisation column, each in table
 * order (decoded by position, see `keyWithOrganisationFromJson`).
 *
 * It asks for the last key at or before the ID rather than the ID itself: an unknown ID then
 * reads (and the store decodes) its neighbour, a whole row and its organisation, as a known one
 * does, so "no such key" costs what "wrong secret" does and its timing does not tell which IDs
 * exist. The store keeps the row only if the ID is the one asked for. IDs are ULIDs, so a
 * made-up ID with a recent time finds the newest key; only an ID older than every key finds
 * nothing, which says no more than that no key is older.
 *
 * `by` is the column looked up: `id`, or `imported_digest` for an imported token's lookup by
 * its SHA-256 (hex), which follows the same rule: the greatest digest at or below the one asked
 * for, decoded whether or not it is that one (SHA-256 digests are uniform, so the neighbour is
 * found as any other row is).
 */
export function verificationRead(
  db: Kysely<unknown>,
  names: TableNames,
  flavour: SqlFlavour,
  by: 'id' | 'imported_digest',
): Statement<'id'> {
  const q = db as unknown as Kysely<KeycycleTables>
  // The 40 columns come as one: pg and mysql2 read a description of, and pick a parser for,
  // every column of every result (pg's `addFields` alone was a sixth of a verification's client
  // CPU outside the socket write), while one text column costs them next to nothing, the
  // servers a little less too, and `JSON.parse` little. Measured: client CPU per verification
  // 41 → 23 µs on PostgreSQL, 36 → 28 µs on MariaDB.
  const joined = q
    .selectFrom(`${names.keys} as k` as 'keys as k')
    .innerJoin(`${names.organisations} as o` as 'organisations as o', 'o.id', 'k.organisation')
    .select(
      jsonArray(flavour, [
        ...prefixed('k', KEY_COLUMNS),
        ...prefixed('o', ORGANISATION_COLUMNS),
      ]).as('r'),
    )
  return compileOnce<'id'>((param) =>
    flavour === 'mysql'
      ? // MariaDB plans `<= … ORDER BY … LIMIT 1` with a JOIN as a range read, estimated anew
        // on every execution; `= (SELECT MAX(id) …)` it resolves while planning, by one index
        // descent, and then reads both rows as constants: about 10 % less server CPU here.
        joined
          .where(`k.${by}`, '=', (eb) =>
            eb
              .selectFrom(names.keys as 'keys')
              .select((inner) => inner.fn.max(by).as(by))
              .where(by, '<=', param('id')),
          )
          .compile()
      : joined
          .where(`k.${by}`, '<=', param('id'))
          .orderBy(`k.${by}`, 'desc')
          .limit(sql.lit(1))
          .compile(),
  )
}
