/**
 * Where everything lives. Every record of one key shares the hash tag `{key_…}` and every
 * record of one organisation `{org_…}`, so each write touches one hash slot and runs as one
 * script, on a standalone server or a Cluster alike.
 */
export interface Layout {
  /** Hash of a key: `version`, `record` (JSON) and `organisation` (the owner's ID). */
  key(id: string): string
  /** Hash of an organisation: `version` and `record`. */
  organisation(id: string): string
  /** What surrounds an ID in {@link organisation}'s name, for scripts that build it. */
  organisationAround: readonly [before: string, after: string]
  /** Request marker of a write to the key or organisation `id`. */
  marker(id: string, requestId: string): string
  /** Sorted set of an organisation's key IDs, all at score 0, read by lex range. */
  organisationKeys(organisation: string): string
  /** Sorted set of `<key id>:<version>` scored by `expiresAt`: the expiry sweep's hint. */
  due: string
  /** Pub/sub channel announcing each committed record write as `key:<id>` or `organisation:<id>`. */
  changes: string
}

export function layout(prefix: string): Layout {
  const organisationAround = [`${prefix}{`, '}:org'] as const
  return {
    key: (id) => `${prefix}{${id}}:key`,
    organisation: (id) => `${organisationAround[0]}${id}${organisationAround[1]}`,
    organisationAround,
    marker: (id, requestId) => `${prefix}{${id}}:req:${requestId}`,
    organisationKeys: (organisation) => `${prefix}{${organisation}}:keys`,
    due: `${prefix}{due}:expiry`,
    changes: `${prefix}changes`,
  }
}
