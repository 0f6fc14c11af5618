import { describe, expect } from 'vitest'
import { redisStore } from '../../adapters/redis'
import { createKeycycle, type Keycycle } from '../../src'
import { ADMIN, type StoreSuiteContext } from '../../src/conformance'
import type { KeyStore } from '../../src/store'
import { until } from '../helpers/until'
import { connect, type RedisOpenStore, type Topology } from './redis-harness'

const CACHE = { maxStalenessMs: 1000, maxEntries: 1000 }

/** A store whose change channel also tells the test what it reported. */
function observed(store: KeyStore) {
  let live = false
  const heard = new Set<string>()
  const watched: KeyStore = {
    ...store,
    watch: (feed, options) =>
      store.watch!(
        {
          changed: (change) => {
            heard.add(change.id)
            feed.changed(change)
          },
          gap: () => feed.gap(),
          live: () => {
            live = true
            feed.live()
          },
        },
        options,
      ),
  }
  return { store: watched, live: () => live, heard: (id: string) => heard.has(id) }
}

/**
 * Through `redisExtras`: the revocation bound across instances (`docs/decisions.md#verification-cache`). Two services with a
 * verification cache share one Redis; a change on one must refuse the old token on the other
 * within 100 ms, although the other's entry is well inside `maxStalenessMs` (so only the change
 * channel can explain it).
 */
export function revocationExtras(topology: Topology) {
  return ({ test }: StoreSuiteContext<RedisOpenStore>): void => {
    describe('revocation across cached instances', () => {
      test(`refuses the old token on another instance within 100 ms (${topology})`, async ({
        prefix,
      }) => {
        const connections = [connect(topology), connect(topology)]
        const a = createKeycycle({
          store: redisStore(connections[0]!, { prefix }),
          cache: CACHE,
        })
        const watched = observed(redisStore(connections[1]!, { prefix }))
        const b = createKeycycle({ store: watched.store, cache: CACHE })
        try {
          expect(await until(watched.live)).toBe(true)
          const changes: [string, (kc: Keycycle, id: string) => Promise<unknown>, string][] = [
            [
              'deactivate',
              (kc, id) => kc.as(ADMIN).deactivateKey(id, { allowLockout: true }),
              'deactivated',
            ],
            ['block', (kc, id) => kc.as(ADMIN).blockKey(id), 'blocked'],
            ['forced rotation', (kc, id) => kc.as(ADMIN).rotateKey(id, { force: true }), 'invalid'],
            ['regeneration', (kc, id) => kc.as(ADMIN).regenerateKey(id, 'primary'), 'invalid'],
          ]
          for (const [name, change, code] of changes) {
            const created = await a.createOrganisation()
            // Creation is announced too; let that settle before B fills its cache.
            const { key, organisation } = created
            expect(await until(() => watched.heard(key.id) && watched.heard(organisation.id))).toBe(
              true,
            )
            const first = await b.verify(created.token)
            expect(first, name).toMatchObject({ ok: true })
            // Answered from B's cache: the same read, not a new one.
            expect((await b.verify(created.token)).checkedAt, name).toBe(first.checkedAt)

            const started = performance.now()
            await change(a, created.key.id)
            const within = await until(async () => {
              const outcome = await b.verify(created.token)
              return !outcome.ok && outcome.code === code
            }, 1000)
            const elapsed = performance.now() - started
            expect(within, `${name}: still accepted after ${Math.round(elapsed)} ms`).toBe(true)
            expect(elapsed, name).toBeLessThan(100)
          }
        } finally {
          await Promise.all([a.close(), b.close()])
          for (const c of connections) c.disconnect()
        }
      })
    })
  }
}
