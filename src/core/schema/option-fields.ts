import { invalidInput } from '../errors'
import { isKeyId } from '../ids'
import { KEY_STATES, KEY_TYPES, SLOTS } from '../types'
import { readInteger } from '../validate'
import { boolean, instant, oneOf, shown } from './codecs'
import type { Schema } from './field'

/** Default page size of `listKeys`. */
export const DEFAULT_LIST_LIMIT = 10
/** Largest page size of `listKeys`. */
export const MAX_LIST_LIMIT = 100

// Options are read as a resource being created: every declared option may be given once.

/** Options of `rotateKey` (ricloud `POST /keys/{id}/rotate`). */
export const ROTATE_OPTIONS = {
  force: {
    wire: 'force',
    doc: 'Revoke the old token at once instead of after the grace period. Default false.',
    create: true,
    ...boolean,
  },
  slot: {
    wire: 'slot',
    doc: 'The slot to rotate. Default `primary`.',
    create: true,
    ...oneOf(SLOTS),
  },
  signing: {
    wire: 'signing',
    doc: "Turn signing on (the new token is sealed) or off (the key's sealed tokens are dropped). Default: unchanged.",
    create: true,
    ...boolean,
  },
} as const satisfies Schema

/** Options of `deactivateKey`. */
export const DEACTIVATE_OPTIONS = {
  allowLockout: {
    wire: 'allow_lockout',
    doc: "Allow deactivating the organisation's last active standard key. Default false.",
    create: true,
    ...boolean,
  },
} as const satisfies Schema

const cursor = {
  type: 'key ID',
  parse: (value: unknown, path: string) => {
    if (!isKeyId(value)) throw invalidInput(path, 'must be a key ID (key_ followed by a ULID)')
    return value
  },
}

/** The query of `listKeys` (ricloud `GET /keys`). */
export const LIST_QUERY = {
  organisation: {
    wire: 'organisation',
    doc: "The organisation to list; an organisation's own by default, admins must name it.",
    create: true,
    ...shown('string'),
  },
  type: { wire: 'type', doc: 'Only keys of this type.', create: true, ...oneOf(KEY_TYPES) },
  state: {
    wire: 'state',
    doc: 'Only keys in this effective state now.',
    create: true,
    ...oneOf(KEY_STATES),
  },
  limit: {
    wire: 'limit',
    doc: `Page size, 1–${MAX_LIST_LIMIT}, default ${DEFAULT_LIST_LIMIT}.`,
    type: 'integer',
    create: true,
    parse: (value: unknown, path: string) => readInteger(value, path, 1, MAX_LIST_LIMIT),
    // Query parameters are text: a plain decimal becomes a number, anything else stays text so
    // that `parse` names it.
    fromWire: (value: unknown) =>
      typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : value,
  },
  startingAfter: {
    wire: 'starting_after',
    doc: 'Cursor: the page after this key ID (older keys).',
    create: true,
    ...cursor,
  },
  endingBefore: {
    wire: 'ending_before',
    doc: 'Cursor: the page before this key ID (newer keys).',
    create: true,
    ...cursor,
  },
} as const satisfies Schema

/** The query of `getKeyUsage` (`GET /keys/{id}/usage`); see `KeyUsageQuery`. */
export const USAGE_QUERY = {
  from: {
    wire: 'from',
    doc: 'Start of the range, widened to its bucket. Default: one day (`hour`) or 30 days (`day`) before `to`.',
    create: true,
    ...instant,
  },
  to: {
    wire: 'to',
    doc: 'End of the range (exclusive), widened to a bucket boundary. Default: the end of the current bucket.',
    create: true,
    ...instant,
  },
  granularity: {
    wire: 'granularity',
    doc: 'Bucket size, UTC: `hour` (default; at most 744 buckets) or `day` (at most 366).',
    create: true,
    ...oneOf(['hour', 'day']),
  },
} as const satisfies Schema
