import type { RedisClient } from './client'
import { type Layout, OUTBOX_GLOB } from './layout'
import { glob, keyPrefixOf, scanMasters } from './scan'

// The outbox indexes are touched outside the scripts that commit (on a Cluster they live in
// another slot), so a process killed between a script and its second touch can leave an outbox
// that no index names. The recovery scan finds such outboxes by their names and puts their
// subjects back into the indexes, due at once (score 0): the next claim or prune visits them
// and sets the real hint. Index entries only propose subjects, so a spurious one costs a visit.

/** The recovery scan's pacing, started by the outbox's own calls (the store has no timers). */
export interface Recovery {
  /** Starts a scan in the background unless one runs or one ended within `everyMs`. */
  kick(): void
  /** The scan in progress, if any (for tests). */
  running(): Promise<void> | null
}

/**
 * The recovery scan of every master for `{subject}:outbox:queue` (events waiting) and
 * `{subject}:outbox:sent` (delivered, not pruned), adding their subjects to the pending and
 * delivered indexes where absent. The first kick scans at once: a process that restarts after
 * a crash finds what the crash left behind on its first claim. A failed scan is retried by a
 * kick after `everyMs`.
 */
export function outboxRecovery(
  client: RedisClient,
  prefix: string,
  at: Layout,
  everyMs: number,
): Recovery {
  let current: Promise<void> | null = null
  let endedAt = Number.NEGATIVE_INFINITY
  const lead = `${keyPrefixOf(client)}${prefix}{`
  const commands = client as unknown as {
    zadd(key: string, ...args: (string | number)[]): Promise<unknown>
  }

  const scan = () =>
    scanMasters(client, glob(prefix) + OUTBOX_GLOB, async (_, names) => {
      const found = { pending: [] as string[], delivered: [] as string[] }
      for (const name of names) {
        if (!name.startsWith(lead)) continue
        const cut = name.lastIndexOf('}:outbox:')
        const subject = name.slice(lead.length, cut)
        const kind = name.slice(cut + '}:outbox:'.length)
        if (kind === 'queue') found.pending.push(subject)
        else if (kind === 'sent') found.delivered.push(subject)
      }
      for (const [index, subjects] of [
        [at.pending, found.pending],
        [at.delivered, found.delivered],
      ] as const) {
        if (subjects.length === 0) continue
        await commands.zadd(index.subjects, 'NX', ...subjects.flatMap((s) => [0, s]))
      }
    })

  return {
    kick() {
      if (current !== null || performance.now() - endedAt < everyMs) return
      current = scan()
        .catch(() => {}) // retried by a later kick; the outbox's own calls report faults
        .finally(() => {
          endedAt = performance.now()
          current = null
        })
    },
    running: () => current,
  }
}
