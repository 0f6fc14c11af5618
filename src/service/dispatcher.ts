import { isScheduleCurrent, retryAt } from '../core/schedule'
import type { ClaimedEvent, KeyStore } from '../store'
import type { Bytes, Now } from './deps'
import { eventBase, type KeycycleEvent } from './events'
import type { Logger } from './logger'
import type { DispatchSettings } from './service-options'

/**
 * How one delivery attempt ended: `delivered`, `dropped` (a clock event made stale by a later
 * change), `retry` (failed, due again at `retryAt`), `given_up` (failed its last attempt).
 */
export type DeliveryResult = 'delivered' | 'dropped' | 'retry' | 'given_up'

/** One delivery attempt, as reported to {@link DispatcherDeps.observe}. */
export interface DeliveryAttempt {
  event: KeycycleEvent
  /** 1 for the first attempt. */
  attempt: number
}

/**
 * Runs one attempt: calls `run` (which never rejects) and resolves with its result; e.g. to
 * wrap it in a span. `run`'s `error` is what the failed attempt threw.
 */
export type ObserveDelivery = (
  attempt: DeliveryAttempt,
  run: () => Promise<{ result: DeliveryResult; error?: unknown }>,
) => Promise<unknown>

/** What a dispatcher is built from. */
export interface DispatcherDeps {
  store: KeyStore
  now: Now
  bytes: Bytes
  onEvent: (event: KeycycleEvent, delivery: { attempt: number }) => void | Promise<void>
  /** Receives an event given up after `settings.maxAttempts` failed deliveries. */
  onEventError: (error: unknown, event: KeycycleEvent) => void
  logger: Logger
  /** Wraps every delivery attempt (telemetry); default: runs it as it is. */
  observe?: ObserveDelivery
  settings: DispatchSettings
}

// Prune delivered events about once a minute of polling, not on every poll.
const PRUNE_EVERY_MS = 60_000
const PRUNE_BATCH = 500
// How long close() waits for deliveries in flight; later ones are delivered again elsewhere.
const CLOSE_WAIT_MS = 1000

/**
 * Delivers the durable outbox to `onEvent`: claims due events (the oldest
 * undelivered of each key, so a key's events arrive in commit order), calls `onEvent` off the
 * request path with a timeout, marks them delivered, and on failure puts them back with
 * exponential backoff until `maxAttempts`, after which `onEventError` gets the event. Claims
 * lapse after `leaseMs`, so the events of an instance that died are taken over by another.
 * Delivery is at least once: a redelivery carries the same event `id`.
 */
export class Dispatcher {
  private readonly owner: string
  private readonly inflight = new Set<Promise<void>>()
  private timer: ReturnType<typeof setInterval> | null = null
  private pumping: Promise<number> | null = null
  private again = false
  private closed = false
  private lastPrune = 0
  private failing = false

  private readonly settings: DispatchSettings

  constructor(private readonly deps: DispatcherDeps) {
    this.settings = deps.settings
    this.owner = Array.from(deps.bytes(12), (b) => b.toString(16).padStart(2, '0')).join('')
  }

  /** Starts polling every `pollMs` (the timer never keeps a process alive). */
  start(): void {
    this.timer = setInterval(() => this.nudge(), this.settings.pollMs)
    ;(this.timer as { unref?: () => void }).unref?.()
    this.nudge()
  }

  /** Looks for due events soon (after a local commit), without waiting for the next poll. */
  nudge(): void {
    if (this.closed) return
    if (this.pumping) {
      this.again = true
      return
    }
    void this.pump()
  }

  /**
   * Delivers everything due now, including what becomes due by retries within this call's
   * claims, and resolves with how many deliveries ended (delivered, dropped or given up) once
   * nothing is due or in flight. For tests and graceful shutdowns.
   */
  async drain(): Promise<number> {
    let ended = 0
    for (;;) {
      const claimed = await this.pump()
      const pending = [...this.inflight]
      // A round started by a nudge meanwhile may still be claiming: wait for it too.
      if (claimed === 0 && pending.length === 0 && this.pumping === null) return ended
      await Promise.allSettled(pending)
      ended += pending.length
    }
  }

  /** Stops claiming; waits up to 1 s for deliveries in flight (the rest are delivered again). */
  async close(): Promise<void> {
    this.closed = true
    if (this.timer !== null) clearInterval(this.timer)
    let wait: ReturnType<typeof setTimeout> | undefined
    await Promise.race([
      Promise.allSettled([...this.inflight]),
      new Promise((resolve) => {
        wait = setTimeout(resolve, CLOSE_WAIT_MS)
      }),
    ])
    clearTimeout(wait)
  }

  // One claim round; concurrent callers share it, and a nudge during it runs one more.
  private pump(): Promise<number> {
    this.pumping ??= this.claim().finally(() => {
      this.pumping = null
      if (this.again && !this.closed) {
        this.again = false
        this.nudge()
      }
    })
    return this.pumping
  }

  private async claim(): Promise<number> {
    const room = this.settings.concurrency - this.inflight.size
    if (this.closed || room <= 0) return 0
    try {
      const now = this.deps.now()
      if (now - this.lastPrune >= PRUNE_EVERY_MS) {
        this.lastPrune = now
        await this.deps.store.pruneEvents(now - this.settings.retentionMs, PRUNE_BATCH)
      }
      const claimed = await this.deps.store.claimEvents({
        owner: this.owner,
        now,
        leaseUntil: now + this.settings.leaseMs,
        limit: room,
      })
      for (const event of claimed) {
        // deliver() handles its own failures; the catch only keeps a bug from crashing the host.
        const delivery = this.deliver(event)
          .catch((error: unknown) =>
            this.deps.logger.error('keycycle: delivering an event failed', { error }),
          )
          .finally(() => this.inflight.delete(delivery))
        this.inflight.add(delivery)
      }
      if (this.failing) this.deps.logger.info('keycycle: the event outbox can be read again')
      this.failing = false
      return claimed.length
    } catch (error) {
      // The store is unreachable: say so once per outage; the next poll tries again.
      if (!this.failing)
        this.deps.logger.error('keycycle: the event outbox could not be read', { error })
      this.failing = true
      return 0
    }
  }

  private async deliver(claimed: ClaimedEvent): Promise<void> {
    const { deps, owner } = this
    let event: KeycycleEvent
    try {
      event = JSON.parse(claimed.body) as KeycycleEvent
    } catch (error) {
      // Not an event this library wrote: nothing can deliver it, so it is given up at once.
      deps.logger.error(`keycycle: outbox entry ${claimed.id} is not an event; given up`, {
        eventId: claimed.id,
        error,
      })
      await deps.store.settleEvent(claimed, { owner, deliveredAt: deps.now() }).catch(() => false)
      return
    }
    const attempt = { event, attempt: claimed.attempts + 1 }
    const run = () => this.attempt(claimed, event)
    await (deps.observe ? deps.observe(attempt, run) : run())
  }

  // One attempt, its settlement and its log line; never rejects.
  private async attempt(
    claimed: ClaimedEvent,
    event: KeycycleEvent,
  ): Promise<{ result: DeliveryResult; error?: unknown }> {
    const { deps, settings, owner } = this
    const fields = { eventId: event.id, eventType: event.type, attempt: claimed.attempts + 1 }
    try {
      if (!(await this.refresh(event))) {
        await deps.store.settleEvent(claimed, { owner, deliveredAt: deps.now() })
        deps.logger.debug(`keycycle: dropped stale ${event.type} ${event.id}`, fields)
        return { result: 'dropped' }
      }
      const delivery = { attempt: fields.attempt }
      await withTimeout(() => deps.onEvent(event, delivery), settings.deliveryTimeoutMs)
      await deps.store.settleEvent(claimed, { owner, deliveredAt: deps.now() })
      deps.logger.debug(`keycycle: delivered ${event.type} ${event.id}`, fields)
      return { result: 'delivered' }
    } catch (error) {
      const now = deps.now()
      const last = fields.attempt >= settings.maxAttempts
      try {
        if (last) {
          deps.onEventError(error, event)
          await deps.store.settleEvent(claimed, { owner, deliveredAt: now })
        } else {
          const jitter = deps.bytes(1)[0]! / 256
          const at = retryAt(now, fields.attempt, settings.retryBaseMs, settings.retryMaxMs, jitter)
          deps.logger.warn(`keycycle: delivering ${event.type} ${event.id} failed; will retry`, {
            ...fields,
            retryAt: at,
            error,
          })
          await deps.store.settleEvent(claimed, { owner, retryAt: at })
        }
      } catch {
        // Not settled: the claim lapses after leaseMs and the event is delivered again.
      }
      return { result: last ? 'given_up' : 'retry', error }
    }
  }

  // A clock event is checked against the key as it is now (a later change may have made it
  // stale) and carries the key's current view; false means drop it.
  private async refresh(event: KeycycleEvent): Promise<boolean> {
    if (event.type !== 'key.expiring' && event.type !== 'key.grace_ended') return true
    const found = await this.deps.store.getKeyWithOrganisation(event.key.id)
    if (!found || !isScheduleCurrent(event, found.key)) return false
    const now = this.deps.now()
    const { key, webhookConfig } = eventBase(
      event.id,
      now,
      event.actor,
      found.key,
      found.organisation,
    )
    Object.assign(event, { key, webhookConfig })
    return true
  }
}

// Runs `work`, failing with a timeout error when it has not settled after `ms`.
async function withTimeout(work: () => void | Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`onEvent did not settle within ${ms} ms`)), ms)
  })
  try {
    await Promise.race([Promise.resolve().then(work), late])
  } finally {
    clearTimeout(timer)
  }
}
