import { type CompiledQuery, type Kysely, type RawBuilder, sql } from 'kysely'
import type { ClaimedEvent, OutboxEvent } from '../../src/store'
import type { Selected } from './rows'
import type { EventRow, KeycycleTables } from './schema'

/** The columns a write sets when it records an event; the rest start at their defaults. */
export interface EventInsert {
  id: string
  subject_kind: string
  subject_id: string
  stream: string
  seq: number
  available_at: number
  body: string
}

// Each inserted column with its PostgreSQL type, for `json_to_recordset`.
const INSERTED_TYPES: Record<keyof EventInsert, string> = {
  id: 'text',
  subject_kind: 'text',
  subject_id: 'text',
  stream: 'text',
  seq: 'bigint',
  available_at: 'bigint',
  body: 'text',
}
const INSERTED = Object.keys(INSERTED_TYPES) as (keyof EventInsert)[]

/** An event as a write records it: unclaimed, undelivered, no attempts yet. */
export function eventToRow(event: OutboxEvent): EventInsert {
  return {
    id: event.id,
    subject_kind: event.subject.kind,
    subject_id: event.subject.id,
    stream: event.stream,
    seq: event.seq,
    available_at: event.availableAt,
    body: event.body,
  }
}

/** A stored event as a claim hands it out. */
export function eventFromRow(row: Selected<EventRow>): ClaimedEvent {
  return {
    id: row.id,
    subject: { kind: row.subject_kind as 'key' | 'organisation', id: row.subject_id },
    stream: row.stream,
    seq: Number(row.seq),
    availableAt: Number(row.available_at),
    body: row.body,
    attempts: Number(row.attempts),
  }
}

/**
 * The value of a PostgreSQL write's `events` parameter: the rows as one JSON array, which the
 * statement unpacks with `json_to_recordset` (so one prepared statement takes any number).
 */
export const pgEventsParam = (events: readonly OutboxEvent[] | undefined) =>
  JSON.stringify((events ?? []).map(eventToRow))

/**
 * PostgreSQL: `INSERT INTO <events> (…) SELECT … FROM json_to_recordset(<json>) … WHERE
 * <condition>`, for a data-modifying CTE of the write that records them.
 */
export function pgEventsInsert(
  table: string,
  json: unknown,
  condition: RawBuilder<unknown>,
): RawBuilder<unknown> {
  const columns = sql.join(INSERTED.map((c) => sql.ref(c)))
  const shape = sql.raw(INSERTED.map((c) => `${c} ${INSERTED_TYPES[c]}`).join(', '))
  return sql`insert into ${sql.table(table)} (${columns}) select ${columns} from json_to_recordset(${json}::json) as x(${shape}) where ${condition}`
}

/** SQLite, MySQL: one multi-row INSERT of the events, run in the write's transaction. */
export function insertEvents(
  db: Kysely<unknown>,
  table: string,
  events: readonly OutboxEvent[],
): CompiledQuery {
  const q = db as unknown as Kysely<KeycycleTables>
  return q
    .insertInto(table as 'events')
    .values(events.map(eventToRow))
    .compile()
}
