import type { ColumnType } from 'kysely'

/**
 * An integer column as drivers return it: pg returns BIGINT as a string, better-sqlite3 may
 * return a bigint, mysql2 a number. Written as a number; read through `Number()`.
 */
export type IntColumn = ColumnType<number | string | bigint, number, number>
/** {@link IntColumn} that may be null. */
export type NullableIntColumn = ColumnType<
  number | string | bigint | null,
  number | null,
  number | null
>

export interface OrganisationRow {
  id: string
  /** JSON of the config ID, so `2` and `"2"` stay distinct; text from migration 0003. */
  storage_config: string | null
  webhook_config: string | null
  /** JSON object of key-config defaults. */
  config: string
  created_at: IntColumn
  modified_at: IntColumn
  modified_by: string
  version: IntColumn
  // Added by migration 0005 (usage control's defaults), null in rows written before.
  /** JSON array of rate limits, or null. */
  rate_limits: string | null
  /** JSON array of addresses and CIDR blocks, or null. */
  allowed_ips: string | null
}

export interface KeyRow {
  id: string
  organisation: string
  type: string
  state: string
  name: string | null
  description: string | null
  config: string
  storage_config: string | null
  webhook_config: string | null
  /** JSON array of strings. */
  permissions: string
  created_at: IntColumn
  modified_at: IntColumn
  modified_by: string
  expires_at: NullableIntColumn
  primary_digest: string
  primary_hint: string
  primary_rotated_at: IntColumn
  primary_retiring_digest: string | null
  primary_retiring_hint: string | null
  primary_retiring_until: NullableIntColumn
  secondary_digest: string | null
  secondary_hint: string | null
  secondary_rotated_at: NullableIntColumn
  secondary_retiring_digest: string | null
  secondary_retiring_hint: string | null
  secondary_retiring_until: NullableIntColumn
  version: IntColumn
  // Added by migration 0002.
  /** JSON object, or null. */
  metadata: string | null
  primary_last_used_at: NullableIntColumn
  primary_retiring_last_used_at: NullableIntColumn
  secondary_last_used_at: NullableIntColumn
  secondary_retiring_last_used_at: NullableIntColumn
  // Added by migration 0005 (usage control), null in rows written before.
  /** JSON array of rate limits, or null. */
  rate_limits: string | null
  /** JSON object of the stored credits (with generation and refill anchor), or null. */
  credits: string | null
  /** JSON array of addresses and CIDR blocks, or null. */
  allowed_ips: string | null
  // Added by migration 0006 (signed requests), null in rows written before.
  /** `on` for a signing key, `only` for a signature-only one; null for neither. */
  signing: string | null
  /** Each token of a signing key, sealed (`SlotRecord.sealed`); null otherwise. */
  primary_sealed: string | null
  primary_retiring_sealed: string | null
  secondary_sealed: string | null
  secondary_retiring_sealed: string | null
}

/**
 * The usage counters' column on both tables (migration 0005): JSON text of a `CounterState`,
 * or null while none are recorded. Never part of the record: no read of a record selects it,
 * no write of one sets it (so a key's update, rotation or regeneration keeps its counters), and
 * a deleted row takes it along. Only the spend and `readCounters` touch it.
 */
export interface CountersColumn {
  counters: string | null
}

/**
 * The imported digest's column on the keys table (migration 0008): the hex of the imported
 * token digest the record holds (`importedHexOfRecord`), or null; unique, indexed. Derived from
 * the record by every write of it, so it follows rotations exactly; never read as part of the
 * record (the verification read does not select it).
 */
export interface ImportedColumn {
  imported_digest: string | null
}

/**
 * Checks at compile time that `list` names every column of `T` (and only those): a column added
 * to the row type and forgotten here is a type error, not a field silently never read.
 */
const everyColumn =
  <T>() =>
  <const C extends readonly (keyof T)[]>(
    list: C & ([Exclude<keyof T, C[number]>] extends [never] ? unknown : 'lists every column'),
  ): C =>
    list

/** Every key column, in table order: statements name them rather than `*`, so a later column
 * never changes the shape of a prepared statement's result. */
export const KEY_COLUMNS = everyColumn<KeyRow>()([
  'id',
  'organisation',
  'type',
  'state',
  'name',
  'description',
  'config',
  'storage_config',
  'webhook_config',
  'permissions',
  'created_at',
  'modified_at',
  'modified_by',
  'expires_at',
  'primary_digest',
  'primary_hint',
  'primary_rotated_at',
  'primary_retiring_digest',
  'primary_retiring_hint',
  'primary_retiring_until',
  'secondary_digest',
  'secondary_hint',
  'secondary_rotated_at',
  'secondary_retiring_digest',
  'secondary_retiring_hint',
  'secondary_retiring_until',
  'version',
  'metadata',
  'primary_last_used_at',
  'primary_retiring_last_used_at',
  'secondary_last_used_at',
  'secondary_retiring_last_used_at',
  'rate_limits',
  'credits',
  'allowed_ips',
  'signing',
  'primary_sealed',
  'primary_retiring_sealed',
  'secondary_sealed',
  'secondary_retiring_sealed',
])

/** Every column a key write sets: the record's, then {@link ImportedColumn}'s. */
export const KEY_WRITE_COLUMNS = [...KEY_COLUMNS, 'imported_digest'] as const

/** Every organisation column, in table order. */
export const ORGANISATION_COLUMNS = everyColumn<OrganisationRow>()([
  'id',
  'storage_config',
  'webhook_config',
  'config',
  'created_at',
  'modified_at',
  'modified_by',
  'version',
  'rate_limits',
  'allowed_ips',
])

/**
 * One outbox event (migration 0004). `body` is the event's JSON, kept as opaque text; the other
 * columns are what the store orders, claims and settles by.
 */
export interface EventRow {
  /** `evt_` + ULID. */
  id: string
  subject_kind: string
  subject_id: string
  /** The delivery-order group; within it, events go out one at a time by `seq`. */
  stream: string
  seq: IntColumn
  /** Epoch ms (injected clock): not claimable before. */
  available_at: IntColumn
  body: string
  /** Failed deliveries so far; 0 when recorded. */
  attempts: ColumnType<number | string | bigint, number | undefined, number>
  /** The dispatcher holding the claim, and until when; null when none ever did or it was put back. */
  claim_owner: string | null
  claimed_until: NullableIntColumn
  /** Null until delivered; then kept until pruned. */
  delivered_at: NullableIntColumn
}

/** Every event column, in table order. */
export const EVENT_COLUMNS = everyColumn<EventRow>()([
  'id',
  'subject_kind',
  'subject_id',
  'stream',
  'seq',
  'available_at',
  'body',
  'attempts',
  'claim_owner',
  'claimed_until',
  'delivered_at',
])

/** The tables as the adapter's queries name them; real names carry the configured prefix. */
/** One cell of usage analytics (migration 0007): a key's count of one outcome in one hour. */
export interface UsageRow {
  key_id: string
  /** Epoch ms of the hour's start. */
  hour: IntColumn
  outcome: string
  count: IntColumn
}

export interface KeycycleTables {
  keys: KeyRow & CountersColumn & ImportedColumn
  organisations: OrganisationRow & CountersColumn
  events: EventRow
  usage: UsageRow
}

/** Real table names for a prefix. */
export interface TableNames {
  keys: string
  organisations: string
  events: string
  usage: string
  migrations: string
  migrationLock: string
}

/** Table names for an already validated prefix (see `readKyselyArguments`). */
export function tableNames(prefix: string): TableNames {
  return {
    keys: `${prefix}keys`,
    organisations: `${prefix}organisations`,
    events: `${prefix}events`,
    usage: `${prefix}usage_hours`,
    migrations: `${prefix}migrations`,
    migrationLock: `${prefix}migrations_lock`,
  }
}
