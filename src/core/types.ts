/** `standard` keys are an organisation's own; `trial` keys are granted by an admin for a while. */
export type KeyType = 'standard' | 'trial'
export const KEY_TYPES: readonly KeyType[] = ['standard', 'trial']

/** The lifecycle state of a key (`docs/decisions.md#states`). */
export type KeyState = 'active' | 'deactivated' | 'blocked' | 'expired'
export const KEY_STATES: readonly KeyState[] = ['active', 'deactivated', 'blocked', 'expired']

/** A token slot. Every key has a primary token; a secondary one is optional. */
export type Slot = 'primary' | 'secondary'
export const SLOTS: readonly Slot[] = ['primary', 'secondary']

/** An opaque storage or webhook configuration ID, kept exactly as given (`2` stays `2`). */
export type ConfigId = string | number

/** Who performs a call. An organisation only ever reaches its own keys. */
export type Actor = { kind: 'organisation'; id: string } | { kind: 'admin'; id: string }
/** The clock, when expiry is persisted. */
export type SystemActor = { kind: 'system' }
export type ActorKind = Actor['kind']

/** A JSON value, as `metadata` holds them. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue }

/** Host-defined data on a key: a JSON object, at most 4 KiB encoded (`docs/decisions.md#resources`). */
export type Metadata = { [key: string]: JsonValue }

/** Key-level settings. An absent field means "use the organisation default". */
export interface KeyConfig {
  publishSourceFiles?: boolean
}

/**
 * A rate limit: a bucket of `limit` units refilled continuously at `limit` per `windowMs`
 * (GCRA), so a burst never exceeds `limit` and the long-run rate never exceeds
 * `limit / windowMs`. An `organisation`-scoped limit of a name is one budget shared by every key
 * of the organisation that carries it.
 */
export interface RateLimit {
  /** 1–32 of `[a-z0-9_-]`, unique among a key's limits. */
  name: string
  /** Units in the bucket, an integer ≥ 1. */
  limit: number
  /** Ms in which the whole bucket refills, an integer ≥ 1000. */
  windowMs: number
  scope: 'key' | 'organisation'
}

/**
 * How credits refill: every `intervalMs` the balance becomes `amount` (it is replaced).
 * @inline
 */
export interface CreditRefill {
  amount: number
  intervalMs: number
}

/** A key's credits as reads show them. */
export interface Credits {
  /**
   * The balance. Read live (the counters', refills applied) by `getKey`, `listKeys` and the
   * key every management call answers with; an event's key and a verification's `key` show
   * what an admin last set (a verification's own `credits` is the live balance).
   */
  remaining: number
  refill: CreditRefill | null
}

/** A key's credits as stored: the balance an admin set, and what the counters need of it. */
export interface StoredCredits extends Credits {
  /** The key's version that set `remaining`: a new setting replaces the counter's balance. */
  generation: number
  /** Epoch ms refills count from: the key's creation, or the last change of `refill`. */
  refillFrom: number
}

/** The public view of one token slot; never the token itself. */
export interface TokenSlot {
  /** `*****` plus the last four characters of the current token. */
  hint: string
  /** Epoch ms when the current token of this slot was minted. */
  rotatedAt: number
  /** Epoch ms until which the previous token still verifies, or null when none does. */
  retiringUntil: number | null
  /**
   * Epoch ms when the current token of this slot last verified successfully, or null if it
   * never has; accurate to the last-used flush interval (default 60 s).
   */
  lastUsedAt: number | null
  /** The same for the retiring token, while one is retiring; null otherwise. */
  retiringLastUsedAt: number | null
}

/** A key as callers see it. `state` is the effective state at the clock's now. */
export interface Key {
  id: string
  organisation: string
  type: KeyType
  state: KeyState
  name: string | null
  description: string | null
  /** The key's own overrides only; see `effectiveConfig` for the effective values. */
  config: KeyConfig
  storageConfig: ConfigId | null
  webhookConfig: ConfigId | null
  permissions: string[]
  /** Host-defined JSON object, or null. */
  metadata: Metadata | null
  createdAt: number
  modifiedAt: number
  /** `organisation:<id>`, `admin:<id>` or `system`. */
  modifiedBy: string
  /**
   * When the key expires, in epoch ms, or null for never. Always epoch ms here, though
   * `createKey`, `updateKey` and `extendKey` also take a `Date`; over HTTP it is `date_expires`,
   * an ISO 8601 date-time.
   */
  expiresAt: number | null
  primary: TokenSlot
  secondary: TokenSlot | null
  /** The key's own rate limits (`[]`: none), or null to use the organisation's. Admin only. */
  rateLimits: RateLimit[] | null
  /** The key's credits, or null for unlimited. Admin only. */
  credits: Credits | null
  /**
   * The addresses and CIDR blocks the key may be used from, or null to use the
   * organisation's (none there: any). Admin only.
   */
  allowedIps: string[] | null
  /**
   * Whether the key's tokens are kept sealed (AES-256-GCM under the host's `secretEncryption`
   * keys) so that requests signed with them verify (`kc.verifyRequest`). Set at creation, or
   * changed by a rotation (`rotateKey(id, { signing })`).
   */
  signing: boolean
  /** A signing key whose token is refused as a bearer credential: signed requests only. */
  signatureOnly: boolean
  /** Bumped by every write; the basis of optimistic concurrency. */
  version: number
}

/** A previous token that keeps working until `until` (epoch ms, exclusive). */
export interface RetiringToken {
  digest: string
  hint: string
  until: number
  /** Epoch ms of its last successful verification, or null. */
  lastUsedAt: number | null
  /** A signing key's token, sealed (see `SlotRecord.sealed`); absent otherwise. */
  sealed?: string
}

/** One slot as stored: digests only, never a token. */
export interface SlotRecord {
  digest: string
  hint: string
  rotatedAt: number
  /** Epoch ms of the current token's last successful verification, or null. */
  lastUsedAt: number | null
  retiring: RetiringToken | null
  /**
   * A signing key's current token, sealed: `<kek id>$<base64url>` of AES-256-GCM, bound to the
   * key's ID and this slot. Absent for other keys. Never the token in the clear.
   */
  sealed?: string
}

/**
 * A key as stored. `state` is the stored state: an `active` or `deactivated` record whose
 * `expiresAt` has passed is nonetheless expired (see `effectiveState`).
 */
export interface KeyRecord extends Omit<Key, 'state' | 'primary' | 'secondary' | 'credits'> {
  state: KeyState
  primary: SlotRecord
  secondary: SlotRecord | null
  credits: StoredCredits | null
}

/** An organisation and the defaults its keys inherit. */
export interface Organisation {
  id: string
  storageConfig: ConfigId | null
  webhookConfig: ConfigId | null
  config: KeyConfig
  /** Rate limits for keys without their own (null: none). Admin only. */
  rateLimits: RateLimit[] | null
  /** Addresses for keys without their own (null: any). Admin only. */
  allowedIps: string[] | null
  createdAt: number
  modifiedAt: number
  modifiedBy: string
  version: number
}

/** Where an effective value came from. */
export type ConfigSource = 'key' | 'organisation' | 'default'

export interface EffectiveValue<T> {
  value: T
  source: ConfigSource
}

/** The configuration a key actually uses, each value with its source (`docs/decisions.md#resources`). */
export interface EffectiveConfig {
  storageConfig: EffectiveValue<ConfigId | null>
  webhookConfig: EffectiveValue<ConfigId | null>
  publishSourceFiles: EffectiveValue<boolean>
  /**
   * The rate limits that apply: the key's own list (`[]` included), else its organisation's,
   * else none (`[]`, source `default`).
   */
  rateLimits: EffectiveValue<RateLimit[]>
  /**
   * The allow-list that applies: the key's, else its organisation's, else null (any address,
   * source `default`).
   */
  allowedIps: EffectiveValue<string[] | null>
}
