import type { StoreChange } from './port'

// The text a change channel carries for one change, written and read here only, so that every
// backend's publisher and subscriber agree. PostgreSQL builds the same text in SQL (the writing
// statement's `pg_notify(channel, '<kind>:' || id)`), from `changePrefix`.

/** The start of a change's message, up to its ID: `key:` or `organisation:`. */
export function changePrefix(kind: StoreChange['kind']): string {
  return `${kind}:`
}

/** The message announcing `change`: `key:<id>` or `organisation:<id>`. */
export function changeMessage(change: StoreChange): string {
  return changePrefix(change.kind) + change.id
}

/**
 * The change a message announces, or `null` when it announces none keycycle knows: a kind other
 * than `key` or `organisation`, no `:`, or an empty ID. The ID is everything after the first `:`.
 */
export function parseChange(message: string): StoreChange | null {
  const colon = message.indexOf(':')
  const kind = colon < 0 ? '' : message.slice(0, colon)
  const id = message.slice(colon + 1)
  if ((kind !== 'key' && kind !== 'organisation') || id === '') return null
  return { kind, id }
}
