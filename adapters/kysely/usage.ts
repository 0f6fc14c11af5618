import { type Kysely, sql } from 'kysely'
import type { UsageCount, UsageOutcome } from '../../src/core/key-usage'
import type { KeyStore } from '../../src/store'
import { attemptUntil } from './fence'
import type { KeycycleTables, TableNames } from './schema'
import type { SqlFlavour } from './sql-flavour'

type Usage = Pick<KeyStore, 'addUsage' | 'readUsage' | 'pruneUsage'>

// Rows per INSERT: 4 parameters each, under SQLite's oldest limit of 999 parameters.
const ROWS_PER_STATEMENT = 200

/**
 * Usage analytics over the `<prefix>usage_hours` table (migration 0007), one row per key,
 * hour and outcome. An add is `INSERT … ON CONFLICT DO UPDATE SET count = count + excluded.count`
 * (PostgreSQL, SQLite) or `… ON DUPLICATE KEY UPDATE count = count + VALUES(count)` (MySQL,
 * MariaDB): each row an atomic increment under its lock, so instances' adds sum exactly. Rows go
 * in primary-key order, so two instances adding the same cells lock them in the same order and
 * never deadlock; a batch of more than one statement is one transaction, so a retry (a busy
 * database, a deadlock) never adds part of it twice. Pruning deletes by the hour index, a
 * batch of IDs at a time as the outbox prunes.
 */
export function kyselyUsage(db: Kysely<unknown>, names: TableNames, flavour: SqlFlavour): Usage {
  const q = db as unknown as Kysely<KeycycleTables>
  const table = names.usage as 'usage'

  const insert = (tx: Kysely<KeycycleTables>, rows: readonly UsageCount[]) => {
    const values = rows.map(({ keyId, hour, outcome, count }) => ({
      key_id: keyId,
      hour,
      outcome,
      count,
    }))
    const into = tx.insertInto(table).values(values)
    return flavour === 'mysql'
      ? into.onDuplicateKeyUpdate({ count: sql`${sql.ref('count')} + values(${sql.ref('count')})` })
      : into.onConflict((oc) =>
          oc.columns(['key_id', 'hour', 'outcome']).doUpdateSet({
            count: sql`${sql.ref(`${names.usage}.count`)} + ${sql.ref('excluded.count')}`,
          }),
        )
  }

  return {
    async addUsage(counts, options) {
      if (counts.length === 0) return
      const rows = [...counts].sort(
        (a, b) =>
          (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0) ||
          a.hour - b.hour ||
          (a.outcome < b.outcome ? -1 : a.outcome > b.outcome ? 1 : 0),
      )
      const chunks: UsageCount[][] = []
      for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
        chunks.push(rows.slice(i, i + ROWS_PER_STATEMENT))
      }
      await attemptUntil(options?.deadline, 'addUsage', async () => {
        if (chunks.length === 1) {
          await insert(q, chunks[0]!).execute()
          return
        }
        await q.transaction().execute(async (tx) => {
          for (const chunk of chunks) await insert(tx, chunk).execute()
        })
      })
    },

    async readUsage(keyId, from, to, options) {
      const rows = await attemptUntil(options?.deadline, 'readUsage', () =>
        q
          .selectFrom(table)
          .select(['hour', 'outcome', 'count'])
          .where('key_id', '=', keyId)
          .where('hour', '>=', from)
          .where('hour', '<', to)
          .execute(),
      )
      return rows.map((row) => ({
        keyId,
        hour: Number(row.hour),
        outcome: row.outcome as UsageOutcome,
        count: Number(row.count),
      }))
    },

    async pruneUsage(before, limit, options) {
      // Two steps, as pruneEvents: no DELETE … LIMIT on PostgreSQL or SQLite as usually built.
      const due = await q
        .selectFrom(table)
        .select(['key_id', 'hour'])
        .where('hour', '<', before)
        .orderBy('hour')
        .limit(limit)
        .execute()
      if (due.length === 0) return 0
      const keyIds = [...new Set(due.map((row) => row.key_id))]
      const result = await attemptUntil(options?.deadline, 'pruneUsage', () =>
        q
          .deleteFrom(table)
          .where('key_id', 'in', keyIds)
          .where('hour', '<', before)
          .executeTakeFirst(),
      )
      return Number(result.numDeletedRows)
    },
  }
}
