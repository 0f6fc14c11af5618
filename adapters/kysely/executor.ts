import type { Kysely } from 'kysely'
import type { WriteOptions } from '../../src/store'
import type { Statement } from './compiled'
import {
  type DialectFence,
  mysqlFamilyFence,
  postgresFence,
  setSqliteBusyTimeout,
  sqliteFence,
} from './dialect-fences'
import type { MysqlPool, PgPool, SqliteConnection } from './drivers'
import { attemptUntil, readRetrying } from './fence'
import { mysqlPoolRunner } from './mysql-runner'
import { insertEvents } from './outbox-rows'
import { pgPoolRunner } from './pg-runner'
import type { Values } from './rows'
import { kyselyRunner, type Runner, type Session } from './runners'
import { sqliteReader } from './sqlite-reader'

/** How the store runs its statements: reads, and writes with their events and fence. */
export interface StoreExecutor {
  /** The rows of a fixed read, each as its values in select order, by `deadline`. */
  rows(statement: Statement<'id'>, values: { id: string }, deadline: number): Promise<Values[]>
  /**
   * The same rows at once, or `undefined` when they cannot be had without waiting: always
   * undefined but on SQLite with its connection given (see sqlite-reader.ts).
   */
  rowsNow(statement: Statement<'id'>, values: { id: string }): Values[] | undefined
  /** A read built per call (through the host's Kysely), by `deadline`. */
  read<T>(query: () => Promise<T>, deadline: number): Promise<T>
  /**
   * One write. `change` runs its statements on `tx` and resolves whether it wrote; the write's
   * events are recorded with it when it did (on PostgreSQL by the write's own statement, through
   * its `events` parameter; elsewhere by an INSERT in the same transaction), and never when it
   * did not. Fenced by `options.deadline` (see fence.ts and dialect-fences.ts). `alone` says
   * the change is a single statement, which commits by itself when nothing must join it.
   */
  write(
    what: string,
    options: WriteOptions | undefined,
    alone: boolean,
    change: (tx: Session) => Promise<boolean>,
  ): Promise<boolean>
  /**
   * Runs `work` in one transaction, as a write is run: fenced by `deadline`, attempted again
   * after a transient failure while time remains (so `work` must be safe to run again: it
   * decides afresh from what it reads), its outcome whatever `work` resolves.
   */
  atomically<T>(
    what: string,
    deadline: number | undefined,
    work: (tx: Session) => Promise<T>,
  ): Promise<T>
  /**
   * Runs `work` on the runner without a transaction (one statement that commits by itself),
   * attempted again after a transient failure while time remains before `deadline`.
   */
  alone<T>(
    what: string,
    deadline: number | undefined,
    work: (session: Session) => Promise<T>,
  ): Promise<T>
  /** The runner beneath, for what needs none of the above. */
  run: Runner
}

/** The driver handles a store may be given besides its Kysely instance. */
export interface DriverHandles {
  pg: PgPool | undefined
  mysql: MysqlPool | undefined
  sqlite: SqliteConnection | undefined
}

/**
 * The executor for the host's Kysely instance of `flavour`, on the driver's pool or connection
 * when given one. On SQLite it first sets the connection's busy timeout (once, before the
 * store's first statement, on the given connection too), so that a locked database never blocks
 * the event loop for long.
 */
export function storeExecutor(
  host: Kysely<unknown>,
  flavour: 'postgres' | 'mysql' | 'other',
  eventsTable: string,
  { pg, mysql, sqlite: connection }: DriverHandles,
): StoreExecutor {
  const postgres = flavour === 'postgres'
  // MySQL's family is told apart on the first fenced transaction, once.
  let mysqlFence: Promise<DialectFence> | undefined
  const fenceOf: Parameters<typeof kyselyRunner>[1] =
    flavour === 'postgres'
      ? async () => postgresFence
      : flavour === 'mysql'
        ? (exec) => {
            mysqlFence ??= mysqlFamilyFence(exec).catch((error: unknown) => {
              mysqlFence = undefined
              throw error
            })
            return mysqlFence
          }
        : async () => sqliteFence
  const plain = kyselyRunner(host, fenceOf)
  const run = pg ? pgPoolRunner(pg) : mysql ? mysqlPoolRunner(mysql, plain) : plain

  let busyTimeoutSet = flavour !== 'other'
  let settingBusyTimeout: Promise<void> | undefined
  const ready = async () => {
    settingBusyTimeout ??= setSqliteBusyTimeout(host, connection).then(
      () => {
        busyTimeoutSet = true
      },
      (error: unknown) => {
        settingBusyTimeout = undefined
        throw error
      },
    )
    await settingBusyTimeout
  }

  // Only SQLite answers a read with BUSY; elsewhere the verification read stays one call.
  const sqlite = flavour === 'other'
  const asValues = async <P extends string>(statement: Statement<P>, values: Record<P, unknown>) =>
    (await run.rows(statement, values)).map((row): Values => Object.values(row as object))
  const fixedRead = connection && sqliteReader(connection)
  return {
    run,
    async rows(statement, values, deadline) {
      if (!sqlite) return asValues(statement, values)
      if (!busyTimeoutSet) await ready()
      return readRetrying(deadline, () => asValues(statement, values))
    },
    rowsNow: (statement, values) =>
      fixedRead && busyTimeoutSet ? fixedRead.now(statement, values) : undefined,
    async read(query, deadline) {
      if (!sqlite) return query()
      if (!busyTimeoutSet) await ready()
      return readRetrying(deadline, query)
    },
    async atomically(what, deadline, work) {
      if (!busyTimeoutSet) await ready()
      return attemptUntil(deadline, what, () => run.transaction(deadline, work))
    },
    async alone(what, deadline, work) {
      if (!busyTimeoutSet) await ready()
      return attemptUntil(deadline, what, () => work(run))
    },
    async write(what, options, alone, change) {
      if (!busyTimeoutSet) await ready()
      const events = options?.events ?? []
      const deadline = options?.deadline
      const recorded = async (tx: Session) => {
        if (!(await change(tx))) return false
        if (!postgres && events.length > 0) {
          await tx.execute(insertEvents(host, eventsTable, events))
        }
        return true
      }
      // A single statement commits by itself: on PostgreSQL (its events ride in it) unless a
      // deadline asks for SET LOCAL timeouts; elsewhere when it has no events to join it, and
      // on SQLite whatever the deadline (it cannot wait past its busy timeout), not on MySQL
      // (its fences need the transaction's session).
      const oneStatement =
        alone &&
        (postgres
          ? deadline === undefined
          : events.length === 0 && (deadline === undefined || flavour === 'other'))
      return attemptUntil(deadline, what, () =>
        oneStatement ? recorded(run) : run.transaction(deadline, recorded),
      )
    },
  }
}
