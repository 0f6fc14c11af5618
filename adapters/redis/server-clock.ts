import type { Cluster, Redis } from 'ioredis'
import { withDeadline } from '../../src/store/deadline'
import type { RedisClient } from './client'

/**
 * How fast two clocks may drift apart between measurements: 500 ppm, the most an NTP daemon
 * slews a clock (ntpd and chrony alike). A clock that is stepped instead voids the bound until
 * the next measurement.
 */
const DRIFT = 500e-6

/** A reading less certain than this (ms) is measured again, at most once a second. */
const BLURRED_MS = 10

/** What one node's clock was measured to be: server time − local time, within ± uncertainty. */
export interface ClockReading {
  offsetMs: number
  uncertaintyMs: number
  /** Local epoch ms (`Date.now()`) of the measurement. */
  at: number
}

/** The Redis server clock as seen from this host (see {@link serverClock}). */
export interface ServerClock {
  /**
   * The fence of a write due by `deadline` (epoch ms, `Date.now()`'s clock): the latest server
   * time (ms, as Lua reads `TIME`) at which the write may still apply, conservatively, so that
   * a script applied at or before it was applied at or before `deadline` on this host's clock.
   */
  fence(deadline: number): Promise<number>
  /** The readings in use, per node (`host:port`). */
  readings(): Record<string, ClockReading>
}

/** Options of {@link serverClock}. */
export interface ServerClockOptions {
  /** Measure again when a reading is older than this (ms). */
  refreshMs: number
  /** How long one measurement may take before it is given up (ms). */
  timeoutMs: number
}

// One reading: the server's TIME between two local readings t0 ≤ send, receive ≤ t1 + 1 (the
// + 1: Date.now() truncates to the ms), so the server read its clock at some local time within
// [t0, t1 + 1). Of three tries the one with the shortest round trip is kept.
async function measure(node: Redis, timeoutMs: number): Promise<ClockReading> {
  let best: ClockReading | null = null
  await withDeadline('redis: TIME', timeoutMs, async () => {
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now()
      const [seconds, micros] = await node.time()
      const t1 = Date.now()
      const server = Number(seconds) * 1000 + Number(micros) / 1000
      const reading = {
        offsetMs: server - (t0 + t1 + 1) / 2,
        uncertaintyMs: (t1 + 1 - t0) / 2,
        at: t1,
      }
      if (best === null || reading.uncertaintyMs < best.uncertaintyMs) best = reading
    }
  })
  return best!
}

// How far server time may exceed what `r` says at local time `now`: the reading's own
// uncertainty, grown by the drift since it was taken.
const lowestOffset = (r: ClockReading, now: number) =>
  r.offsetMs - r.uncertaintyMs - DRIFT * Math.max(0, now - r.at)

/**
 * Measures each master's clock with `TIME` (the standalone server, or every Cluster master:
 * a script runs on its slot's master, so the fence holds on the one whose clock runs slowest
 * against this host's). A node never measured is measured before its first fence; a reading
 * older than `refreshMs`, or one blurred by a slow round trip (once a second), is measured
 * again in the background while the old one, widened by the drift since, stays in use. A new reading
 * replaces the old only when it is tighter at that moment.
 */
export function serverClock(client: RedisClient, options: ServerClockOptions): ServerClock {
  const readings = new Map<string, ClockReading>()
  const inFlight = new Map<string, Promise<void>>()
  const triedAt = new Map<string, number>()
  const nameOf = (node: Redis) => `${node.options.host}:${node.options.port}`

  const refresh = (node: Redis): Promise<void> => {
    const name = nameOf(node)
    const running = inFlight.get(name)
    if (running) return running
    triedAt.set(name, Date.now())
    const done = measure(node, options.timeoutMs)
      .then((fresh) => {
        const old = readings.get(name)
        if (!old || lowestOffset(fresh, fresh.at) >= lowestOffset(old, fresh.at)) {
          readings.set(name, fresh)
        }
      })
      .finally(() => inFlight.delete(name))
    inFlight.set(name, done)
    return done
  }

  const masters = async (): Promise<Redis[]> => {
    if (!client.isCluster) return [client as Redis]
    const cluster = client as Cluster
    // Before the Cluster's first answer its nodes are unknown; any command waits for them.
    if (cluster.nodes('master').length === 0) await cluster.ping()
    return cluster.nodes('master')
  }

  return {
    async fence(deadline) {
      const now = Date.now()
      const nodes = await masters()
      await Promise.all(nodes.filter((n) => !readings.has(nameOf(n))).map(refresh))
      let lowest = Number.POSITIVE_INFINITY
      for (const node of nodes) {
        const reading = readings.get(nameOf(node))!
        const stale = now - reading.at > options.refreshMs
        const blurred =
          reading.uncertaintyMs > BLURRED_MS && now - triedAt.get(nameOf(node))! > 1000
        if (stale || blurred) refresh(node).catch(() => {}) // the old reading holds meanwhile
        // The drift counts up to the deadline: the script may run that late.
        lowest = Math.min(lowest, lowestOffset(reading, Math.max(now, deadline)))
      }
      return deadline + lowest
    },
    readings: () => Object.fromEntries(readings),
  }
}
