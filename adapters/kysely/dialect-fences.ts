import { CompiledQuery, type Kysely, sql } from 'kysely'
import { remainingMs } from '../../src/store/deadline'
import type { SqliteConnection } from './drivers'

// How each dialect bounds a fenced write in time on the server, so that a write the caller
// gave up on rolls back by itself instead of committing late (`docs/decisions.md#fenced-writes`). The client side of the
// fence (no attempt after the deadline, no COMMIT after it) is in fence.ts.

/** What a fenced transaction runs besides its own statements. */
export interface DialectFence {
  /** Runs first in the transaction. */
  open(exec: (query: CompiledQuery) => Promise<unknown>, deadline: number): Promise<void>
  /** The SQL of each statement as sent inside the transaction. */
  statement(text: string, deadline: number): string
  /** Runs last, before COMMIT or ROLLBACK; its failure is ignored. */
  close(exec: (query: CompiledQuery) => Promise<unknown>): Promise<void>
}

const noop = async () => {}

/**
 * SQLite has no server to time out: a write is synchronous, and waits for another
 * connection's lock at most {@link SQLITE_BUSY_TIMEOUT_MS} (the store sets it), then fails
 * with SQLITE_BUSY and is retried asynchronously while its deadline allows.
 */
export const sqliteFence: DialectFence = { open: noop, statement: (text) => text, close: noop }

/**
 * The busy timeout the store sets on the SQLite connection it is given, in ms: how long one
 * statement may block the event loop waiting for another connection's write lock.
 */
export const SQLITE_BUSY_TIMEOUT_MS = 5

/**
 * Sets {@link SQLITE_BUSY_TIMEOUT_MS} on the Kysely instance's SQLite connection, and on
 * `connection` too when the store was given one (the same connection, or another to the file).
 */
export async function setSqliteBusyTimeout(
  db: Kysely<unknown>,
  connection?: SqliteConnection,
): Promise<void> {
  const pragma = `pragma busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`
  await sql.raw(pragma).execute(db)
  connection?.prepare(pragma).all([])
}

/**
 * The PostgreSQL timeouts of a fenced transaction, as `SET LOCAL` statements (they end with it):
 * every statement and every lock wait is cancelled once `ms` have passed, counted on the
 * server. With `idle`, a transaction left idle that long (its client stalled or gone) is ended
 * too, which closes the connection: only for a client whose `error` event the caller handles
 * (pg emits one when the server ends a connection that has no query running).
 */
export function pgLocalTimeouts(ms: number, idle: boolean): string {
  const names = ['statement_timeout', 'lock_timeout']
  if (idle) names.push('idle_in_transaction_session_timeout')
  const value = Math.max(1, Math.ceil(ms))
  return names.map((name) => `SET LOCAL ${name} = ${value}`).join('; ')
}

/**
 * PostgreSQL through Kysely: the time left as `SET LOCAL` statement and lock timeouts, in one
 * round trip. No idle timeout: Kysely's connections have no `error` listener while checked out.
 */
export const postgresFence: DialectFence = {
  async open(exec, deadline) {
    // No parameters: pg sends it as one simple query, several statements in one round trip.
    await exec(CompiledQuery.raw(pgLocalTimeouts(remainingMs(deadline), false)))
  },
  statement: (text) => text,
  close: noop,
}

/**
 * MariaDB: each statement carries the time left as `max_statement_time`, which the server
 * enforces on lock waits too (a statement past it fails with 1969 and changes nothing).
 */
export const mariadbFence: DialectFence = {
  open: noop,
  statement: (text, deadline) =>
    `SET STATEMENT max_statement_time=${(remainingMs(deadline) / 1000).toFixed(3)} FOR ${text}`,
  close: noop,
}

/**
 * MySQL: only whole seconds of row-lock wait (`innodb_lock_wait_timeout` ≥ 1), set on the
 * transaction's session and put back before it ends; `max_execution_time` bounds SELECTs only.
 * The commit is still refused past the deadline on the client side.
 */
export const mysqlFence: DialectFence = {
  async open(exec, deadline) {
    const seconds = Math.max(1, Math.ceil(remainingMs(deadline) / 1000))
    await exec(CompiledQuery.raw(`SET SESSION innodb_lock_wait_timeout = ${seconds}`))
  },
  statement: (text) => text,
  async close(exec) {
    await exec(CompiledQuery.raw('SET SESSION innodb_lock_wait_timeout = DEFAULT'))
  },
}

/** Tells MariaDB from MySQL by the server's version string. */
export async function mysqlFamilyFence(
  exec: (query: CompiledQuery) => Promise<{ rows: unknown[] }>,
): Promise<DialectFence> {
  const { rows } = await exec(CompiledQuery.raw('SELECT VERSION() AS v'))
  const version = String((rows[0] as { v?: unknown } | undefined)?.v ?? '')
  return /mariadb/i.test(version) ? mariadbFence : mysqlFence
}
