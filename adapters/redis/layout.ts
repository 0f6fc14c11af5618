/**
 * Where everything lives. Every record of one key shares the hash tag `{key_…}` and every
 * record of one organisation `{org_…}`, so each write touches one hash slot and runs as one
 * script, on a standalone server or a Cluster alike. A record's outbox (its events) shares the
 * record's tag, so the script that writes the record writes its events too.
 */
export interface Layout {
  /**
   * Hash of a key: `version`, `record` (JSON) and `organisation` (the owner's ID); its usage
   * counters, once spent, in `buckets` and `credits` (see counters-lua.ts).
   */
  key(id: string): string
  /**
   * Hash of an organisation: `version` and `record`; its shared buckets, once spent, in
   * `buckets`, and on a Cluster the latest `now` of a spend that took from them in `now`.
   */
  organisation(id: string): string
  /** What surrounds an ID in {@link organisation}'s name, for scripts that build it. */
  organisationAround: readonly [before: string, after: string]
  /** Request marker of a write to the key or organisation `id`. */
  marker(id: string, requestId: string): string
  /** Sorted set of an organisation's key IDs, all at score 0, read by lex range. */
  organisationKeys(organisation: string): string
  /** Sorted set of `<key id>:<version>` scored by `expiresAt`: the expiry sweep's hint. */
  due: string
  /**
   * Hash of the decoy an unknown key ID reads instead (`record`: a key's JSON, `organisation`:
   * its organisation's), so that it costs what a known one does. No ID maps to its name (every
   * record's name ends in `:key` or `:org`), and no index or scan reaches it.
   */
  decoy: string
  /**
   * String holding the ID of the key whose record holds the imported digest `hex`, under a
   * hash tag of its own (a lookup by digest cannot know the key's slot). Written before the
   * record, deleted with the key; a later write dropping the digest leaves it (stale: lookups
   * check the record).
   */
  imported(hex: string): string
  /** Pub/sub channel announcing each committed record write as `key:<id>` or `organisation:<id>`. */
  changes: string
  /** The outbox of the record `subject` (a key or organisation ID), on its hash slot. */
  outbox(subject: string): SubjectOutbox
  /** Hash of a key's usage analytics: `<hour>:<outcome>` → count (see usage.ts). */
  usage(id: string): string
  /** Sorted set of the hours a key's {@link usage} holds, each scored by itself. */
  usageHours(id: string): string
  /** Sorted set of key IDs with usage, scored by (at most) their oldest hour: pruning's index. */
  usageKeys: string
  /** The outbox indexes: which subjects have events, in the slot `{outbox}`. */
  pending: OutboxIndex
  delivered: OutboxIndex
}

/** One subject's outbox. Every name shares the subject's hash tag. */
export interface SubjectOutbox {
  /** Set of the streams holding undelivered events; gone when there are none. */
  queue: string
  /** Sorted set of delivered event IDs by `deliveredAt`, until pruned. */
  sent: string
  /** Hash of one event (see `outbox-scripts.ts` for its fields). */
  event(id: string): string
  /** Sorted set of a stream's undelivered event IDs by `seq`. */
  stream(stream: string): string
  /** What precedes `event:<id>` and `stream:<stream>`, for scripts that build those names. */
  base: string
}

/**
 * An index of subjects: a sorted set of subject IDs scored by a time hint, and a hash of
 * each subject's touch token (replaced by every writer, so a reader can tell whether the entry
 * changed under it).
 */
export interface OutboxIndex {
  subjects: string
  tokens: string
}

/** Glob (before escaping the prefix) matching every subject's `queue` and `sent`. */
export const OUTBOX_GLOB = '{*}:outbox:*'

export function layout(prefix: string): Layout {
  const organisationAround = [`${prefix}{`, '}:org'] as const
  const index = (name: string): OutboxIndex => ({
    subjects: `${prefix}{outbox}:${name}`,
    tokens: `${prefix}{outbox}:${name}:tokens`,
  })
  return {
    key: (id) => `${prefix}{${id}}:key`,
    organisation: (id) => `${organisationAround[0]}${id}${organisationAround[1]}`,
    organisationAround,
    marker: (id, requestId) => `${prefix}{${id}}:req:${requestId}`,
    organisationKeys: (organisation) => `${prefix}{${organisation}}:keys`,
    due: `${prefix}{due}:expiry`,
    decoy: `${prefix}{decoy}:decoy`,
    imported: (hex) => `${prefix}{imported_${hex}}:imported`,
    changes: `${prefix}changes`,
    outbox: (subject) => {
      const base = `${prefix}{${subject}}:`
      return {
        queue: `${base}outbox:queue`,
        sent: `${base}outbox:sent`,
        event: (id) => `${base}event:${id}`,
        stream: (stream) => `${base}stream:${stream}`,
        base,
      }
    },
    usage: (id) => `${prefix}{${id}}:usage`,
    usageHours: (id) => `${prefix}{${id}}:usage:hours`,
    usageKeys: `${prefix}{usage}:keys`,
    pending: index('pending'),
    delivered: index('delivered'),
  }
}
