import { remainingMs } from '../../src/store/deadline'
import type { Statement } from './compiled'
import { pgLocalTimeouts } from './dialect-fences'
import type { PgPool, PgQueryable } from './drivers'
import { stillAhead } from './fence'
import type { Runner, Session } from './runners'

// Statements on a pg pool or one of its clients. Fixed statements go as named prepared
// statements, which each connection parses and plans once, on its first use.
function pgSession(target: PgQueryable, deadline?: number): Session {
  const run = (config: { name?: string; text: string; values: unknown[] }) => {
    if (deadline !== undefined) stillAhead(deadline)
    return target.query(config)
  }
  const named = <P extends string>(statement: Statement<P>, values: Record<P, unknown>) =>
    run({
      name: statement.name,
      text: statement.compiled.sql,
      values: statement.parameters(values),
    })
  return {
    rows: async (statement, values) => (await named(statement, values)).rows,
    // Only PostgreSQL statements come here, whose writes return one row per row written.
    write: async (statement, values) => (await named(statement, values)).rows.length,
    async execute(query) {
      const result = await run({ text: query.sql, values: [...query.parameters] })
      return { rows: result.rows, written: result.rowCount ?? result.rows.length }
    },
  }
}

/**
 * Runs as named prepared statements on a pg pool. A transaction holds one of its clients; with
 * a deadline it opens with `SET LOCAL` timeouts of the time left (one round trip with BEGIN),
 * so that the server cancels a statement or lock wait at the deadline and ends the transaction
 * if it is left idle past it (this process stalled), and it sends COMMIT only before the
 * deadline. While held, the client's `error` events (the server ending it) are caught, and such
 * a client is destroyed on release instead of pooled.
 */
export function pgPoolRunner(pool: PgPool): Runner {
  return {
    ...pgSession(pool),
    async transaction(deadline, work) {
      if (deadline !== undefined) stillAhead(deadline)
      const client = await pool.connect()
      let broken: Error | boolean | undefined
      const onError = (error: Error) => {
        broken = error
      }
      client.on('error', onError)
      try {
        stillAhead(deadline) // the pool may have kept us waiting
        await client.query(
          deadline === undefined
            ? 'BEGIN'
            : `BEGIN; ${pgLocalTimeouts(remainingMs(deadline), true)}`,
        )
        const result = await work(pgSession(client, deadline))
        stillAhead(deadline)
        await client.query('COMMIT')
        return result
      } catch (error) {
        // A client whose ROLLBACK failed is in an unknown state: destroyed, never pooled again.
        await client.query('ROLLBACK').catch((failed: unknown) => {
          broken ??= failed instanceof Error ? failed : true
        })
        throw error
      } finally {
        client.removeListener?.('error', onError)
        client.release(broken)
      }
    },
  }
}
