import type { ChangeFeed, StoreChange } from '../../src/store'

/** A change feed that records what it is told: changes, and `gap`/`live` calls in order. */
export function recordingFeed() {
  const events: ('gap' | 'live')[] = []
  const changes: StoreChange[] = []
  const feed: ChangeFeed = {
    changed: (change) => changes.push(change),
    gap: () => events.push('gap'),
    live: () => events.push('live'),
  }
  const count = (event: 'gap' | 'live') => events.filter((e) => e === event).length
  return { feed, events, changes, count }
}
