import { KeycycleError } from '../core/errors'
import { ULID_SOURCE } from '../core/ids'

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const EVENT_ID = new RegExp(`^evt_(${ULID_SOURCE})$`)
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** True for a UUID in its usual 8-4-4-4-12 hex form, either case. */
export function isUuid(value: string): boolean {
  return UUID.test(value)
}

/**
 * The UUID form of an event ID, for ricloud's format (its listener routes on
 * `/webhooks/<uuid:event_id>`): the ULID's 128 bits written as 32 lower-case hex digits in the
 * 8-4-4-4-12 layout, the usual ULID-to-UUID conversion (python-ulid's `to_uuid`, for one). It
 * is lossless, so every redelivery of an event has the same UUID and {@link eventIdFromUuid}
 * gives the event ID back. The version and variant bits are the ULID's own, so the result is
 * not an RFC 9562 versioned UUID; receivers that only parse UUIDs accept it.
 *
 * A string that is already a UUID is returned in lower case. Anything else throws `validation`.
 *
 * @example
 * eventUuid('evt_01ARZ3NDEKTSV4RRFFQ69G5FAV') // '01563e3a-b5d3-d676-4c61-efb99302bd5b'
 */
export function eventUuid(id: string): string {
  if (isUuid(id)) return id.toLowerCase()
  const ulid = EVENT_ID.exec(id)?.[1]
  if (ulid === undefined) {
    throw new KeycycleError('validation', 'id: must be evt_ followed by a ULID, or a UUID', {
      details: { field: 'id' },
    })
  }
  let value = 0n
  for (const c of ulid) value = (value << 5n) | BigInt(CROCKFORD.indexOf(c))
  const hex = value.toString(16).padStart(32, '0')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/**
 * The event ID (`evt_` + ULID) a UUID from {@link eventUuid} stands for: a receiver of ricloud
 * deliveries can name the event as keycycle does. Null when `uuid` is not a UUID.
 */
export function eventIdFromUuid(uuid: string): string | null {
  if (!isUuid(uuid)) return null
  let value = BigInt(`0x${uuid.replaceAll('-', '')}`)
  let ulid = ''
  for (let i = 0; i < 26; i++) {
    ulid = CROCKFORD[Number(value & 31n)] + ulid
    value >>= 5n
  }
  return `evt_${ulid}`
}
