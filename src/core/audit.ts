import type { Actor, SystemActor } from './types'

/** Renders an actor as stored in `modifiedBy`: `organisation:<id>`, `admin:<id>` or `system`. */
export function actorRef(actor: Actor | SystemActor): string {
  return actor.kind === 'system' ? 'system' : `${actor.kind}:${actor.id}`
}

/**
 * Stamps a write: audit fields and the version bump every write makes. Stores compare on the
 * previous version, so this is what turns a decision into a compare-and-set.
 */
export function touch<T extends { modifiedAt: number; modifiedBy: string; version: number }>(
  record: T,
  actor: Actor | SystemActor,
  now: number,
): T {
  return { ...record, modifiedAt: now, modifiedBy: actorRef(actor), version: record.version + 1 }
}
