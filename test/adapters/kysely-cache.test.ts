// The verification cache's revocation bound (`docs/decisions.md#verification-cache`) over the SQL store, end to end: two
// service instances, each with its own cache and its own connections to the same tables, as two
// processes would be. With PostgreSQL's LISTEN/NOTIFY channel a revocation made through one is
// refused by the other within milliseconds; without a channel (SQLite, MariaDB), only once the
// cache's maxStalenessMs has passed, never later.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKeycycle, type Keycycle } from '../../src'
import type { KeyStore } from '../../src/store'
import { manualClock } from '../helpers/clock'
import { ADMIN } from '../helpers/setup'
import { shouldRun } from '../helpers/should-run'
import { type Dialect, reachable, type SqlOpenStore, sqlHarness } from './sql-harness'

const BOUND = 1000
const cache = { maxStalenessMs: BOUND, maxEntries: 1000 }
const CHANNEL_BOUND_MS = 100

type Revocation = [string, (kc: Keycycle, keyId: string) => Promise<unknown>]
const REVOCATIONS: Revocation[] = [
  ['deactivation', (kc, id) => kc.as(ADMIN).deactivateKey(id)],
  ['block', (kc, id) => kc.as(ADMIN).blockKey(id)],
  ['forced rotation', (kc, id) => kc.as(ADMIN).rotateKey(id, { force: true })],
  ['regeneration', (kc, id) => kc.as(ADMIN).regenerateKey(id, 'primary')],
]

/** The store, counting its verification reads, and resolving `listening` once it watches. */
function observed(store: KeyStore) {
  let reads = 0
  let heard: () => void = () => {}
  const listening = new Promise<void>((resolve) => {
    heard = resolve
  })
  const wrapped: KeyStore = {
    ...store,
    getKeyWithOrganisation(id) {
      reads++
      return store.getKeyWithOrganisation(id)
    },
  }
  if (store.watch) {
    const watch = store.watch.bind(store)
    wrapped.watch = async (feed, options) => {
      const subscription = await watch(feed, options)
      heard()
      return subscription
    }
  }
  return { store: wrapped, listening, reads: () => reads }
}

/** An organisation with a second standard key (so its first may be revoked) and a token. */
async function revocable(kc: Keycycle) {
  const { key, token } = await kc.createOrganisation()
  await kc.as(ADMIN).createKey({ organisation: key.organisation })
  return { keyId: key.id, token }
}

function backend(dialect: Dialect) {
  const harness = sqlHarness(dialect, 1)
  let opened: SqlOpenStore | undefined
  beforeAll(async () => {
    opened = await harness.open()
  })
  afterAll(async () => {
    await opened?.close()
  })
  return () => {
    const { clients } = opened!
    if (clients.length < 2) throw new Error(`${dialect}: the harness opened one client`)
    return [clients[0]!, clients[1]!] as const
  }
}

if (await shouldRun('PostgreSQL', () => reachable('postgres'))) {
  describe('verification cache over PostgreSQL, with LISTEN/NOTIFY', () => {
    const clients = backend('postgres')

    it.each(REVOCATIONS)(
      `a %s through A is refused on B within ${CHANNEL_BOUND_MS} ms`,
      async (name, revoke) => {
        const [first, second] = clients()
        const b = observed(second)
        const kcA = createKeycycle({ store: first, cache })
        const kcB = createKeycycle({ store: b.store, cache })
        try {
          await b.listening
          const { keyId, token } = await revocable(kcA)
          expect(await kcB.verify(token)).toMatchObject({ ok: true })
          const reads = b.reads()
          expect(await kcB.verify(token)).toMatchObject({ ok: true })
          expect(b.reads()).toBe(reads) // B answers from its cache

          await revoke(kcA, keyId)
          const revoked = performance.now()
          expect(await kcA.verify(token)).toMatchObject({ ok: false })
          let refusedAfter = Number.POSITIVE_INFINITY
          while (performance.now() - revoked < BOUND) {
            if (!(await kcB.verify(token)).ok) {
              refusedAfter = performance.now() - revoked
              break
            }
            await new Promise((resolve) => setTimeout(resolve, 1))
          }
          console.log(
            `postgres: ${name} through A refused on B after ${refusedAfter.toFixed(1)} ms`,
          )
          expect(refusedAfter).toBeLessThan(CHANNEL_BOUND_MS)
        } finally {
          await Promise.all([kcA.close(), kcB.close()])
        }
      },
    )
  })
}

for (const [dialect, name] of [
  ['sqlite', 'SQLite'],
  ['mysql', 'MySQL/MariaDB'],
] as const) {
  if (!(await shouldRun(name, () => reachable(dialect)))) continue
  describe(`verification cache over ${name}, which has no change channel`, () => {
    const clients = backend(dialect)

    it('offers no watch', () => {
      for (const client of clients()) expect(client.watch).toBeUndefined()
    })

    it.each(REVOCATIONS)(
      'a %s through A is refused on B once maxStalenessMs has passed, never later',
      async (_name, revoke) => {
        const [first, second] = clients()
        const clock = manualClock()
        const kcA = createKeycycle({ store: first, clock, cache })
        const kcB = createKeycycle({ store: second, clock, cache })
        const { keyId, token } = await revocable(kcA)
        expect(await kcB.verify(token)).toMatchObject({ ok: true })
        await revoke(kcA, keyId)
        expect(await kcA.verify(token)).toMatchObject({ ok: false }) // the writer at once
        clock.advance(BOUND - 1)
        expect(await kcB.verify(token)).toMatchObject({ ok: true }) // stale, within the bound
        clock.advance(1)
        expect(await kcB.verify(token)).toMatchObject({ ok: false })
      },
    )
  })
}
