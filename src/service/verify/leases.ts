import type { BucketState, SpendPlan } from '../../core/counters'
import { nextRefill } from '../../core/counters'
import type { UsageRules } from '../../core/usage-control'
import type { KeyStore, KeyWithOrganisation } from '../../store'

/** The `usage` option's leased mode, defaults filled in. */
export interface LeaseSettings {
  /** Units each lease takes from the store beyond the request that takes it. */
  units: number
  /** Ms after which an unused lease's units are given back. */
  ttlMs: number
}

/** What a verification served from a lease reports. */
export interface LeasedSpend {
  /** The balance as the lease left it, less what this instance spent of it since (an estimate). */
  credits: number | null
  /** Copies, the caller's to keep. */
  buckets: BucketState[]
}

interface Lease {
  keyVersion: number
  organisationId: string
  organisationVersion: number
  rules: UsageRules
  /** Units still held. */
  units: number
  takenAt: number
  credits: number | null
  buckets: BucketState[]
}

/**
 * Leased usage: a key's units taken from the store a lease at a time (`cost` + `units` in one
 * spend) and spent here with no round trip, so a hot key verifies at the cache's speed. A lease
 * holds for the versions it was taken on and for `ttlMs`; then, and on `close`, the units it
 * still holds are given back (a spend of a negative cost). Across a fleet a limit may let
 * through at most `instances × units` more than it allows in any window (units taken early and
 * spent late), and credits are never overspent (they are taken before they are spent). An
 * instance that dies keeps its leases' units until its buckets refill; its credits are lost.
 */
export class Leases {
  private readonly held = new Map<string, Lease>()
  private readonly timer: ReturnType<typeof setInterval>

  /** Sweeps leases unused for `ttlMs` every `ttlMs`, on the service's clock `now`. */
  constructor(
    private readonly store: KeyStore,
    readonly settings: LeaseSettings,
    now: () => number,
  ) {
    this.timer = setInterval(() => this.sweep(now()), settings.ttlMs)
    ;(this.timer as { unref?: () => void }).unref?.()
  }

  /** Gives back every lease taken `ttlMs` or more before `now`. */
  sweep(now: number): void {
    for (const [keyId, lease] of this.held) {
      if (now - lease.takenAt >= this.settings.ttlMs) void this.release(keyId, now)
    }
  }

  /**
   * Spends `cost` from the key's lease, if it holds one for these versions and rules, alive at
   * `now`, with the units; null otherwise (the caller takes a new lease or spends exactly).
   */
  use(
    keyId: string,
    found: KeyWithOrganisation,
    rules: UsageRules,
    cost: number,
    now: number,
  ): LeasedSpend | null {
    const lease = this.held.get(keyId)
    if (lease === undefined) return null
    const current =
      lease.keyVersion === found.key.version &&
      lease.organisationId === found.organisation.id &&
      lease.organisationVersion === found.organisation.version &&
      lease.rules === rules &&
      now - lease.takenAt < this.settings.ttlMs
    if (!current) {
      void this.release(keyId, now)
      return null
    }
    if (lease.units < cost) return null
    lease.units -= cost
    if (lease.credits !== null) lease.credits -= cost
    for (const bucket of lease.buckets) bucket.remaining = Math.max(0, bucket.remaining - cost)
    return { credits: lease.credits, buckets: lease.buckets.map((b) => ({ ...b })) }
  }

  /** The plan of a spend that takes a lease as well as `cost`. */
  planFor(rules: UsageRules, cost: number, now: number): SpendPlan {
    return { now, cost: cost + this.settings.units, buckets: rules.buckets, credits: rules.credits }
  }

  /** Keeps the units a spend of {@link planFor} took beyond its request's own cost. */
  keep(
    keyId: string,
    found: KeyWithOrganisation,
    rules: UsageRules,
    now: number,
    left: { credits: number | null; buckets: readonly BucketState[] },
  ): void {
    void this.release(keyId, now)
    const { units } = this.settings
    this.held.set(keyId, {
      keyVersion: found.key.version,
      organisationId: found.organisation.id,
      organisationVersion: found.organisation.version,
      rules,
      units,
      takenAt: now,
      // What the store left, plus the lease's own units, which this instance spends later.
      credits: left.credits === null ? null : left.credits + units,
      buckets: left.buckets.map((b) => ({ ...b, remaining: b.remaining + units })),
    })
  }

  /**
   * Gives a key's unspent leased units back at `now` (a failure keeps them taken). Credits go
   * back only to the balance they came from: not across a refill (which replaced it) nor to a
   * balance an admin set since. A key changed in other ways (renamed, rotated) gets them back
   * on its current versions.
   */
  release(keyId: string, now: number): Promise<void> {
    const lease = this.held.get(keyId)
    if (lease === undefined) return Promise.resolve()
    this.held.delete(keyId)
    if (lease.units === 0) return Promise.resolve()
    const { rules } = lease
    const sameBalance =
      rules.credits !== null &&
      (rules.credits.refill === null || (nextRefill(rules.credits, lease.takenAt) ?? 0) > now)
    const plan: SpendPlan = {
      now,
      cost: -lease.units,
      buckets: rules.buckets,
      credits: sameBalance ? rules.credits : null,
    }
    const giveBack = async () => {
      const versions = {
        keyVersion: lease.keyVersion,
        organisationVersion: lease.organisationVersion,
      }
      for (let attempt = 0; attempt < 2; attempt++) {
        const answer = await this.store.spend({
          keyId,
          organisationId: lease.organisationId,
          ...versions,
          plan,
        })
        if (!answer.stale || answer.current === null) return
        const { key, organisation } = answer.current
        const generation = key.credits?.generation ?? null
        if (organisation.id !== lease.organisationId) return
        if (plan.credits !== null && generation !== plan.credits.generation) return
        versions.keyVersion = key.version
        versions.organisationVersion = organisation.version
      }
    }
    return giveBack().catch(() => {})
  }

  /** Gives every lease back (on `close`). */
  async close(now: number): Promise<void> {
    clearInterval(this.timer)
    await Promise.all([...this.held.keys()].map((keyId) => this.release(keyId, now)))
  }
}
