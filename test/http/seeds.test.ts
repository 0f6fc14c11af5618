import { afterAll, beforeAll, describe, it } from 'vitest'
import { HOSTS, type Server, startServer } from './hosts'
import { runSeedCalls } from './seeds'

// The README's curl calls, as written, against every host (example.test.ts runs them against
// the example server, with its SQLite store).
describe.each(HOSTS.map((h) => [h.name, h] as const))(
  '%s: the seeds’ curl calls',
  (_name, host) => {
    let server: Server
    beforeAll(async () => {
      server = await startServer(host)
    })
    afterAll(() => server.close())

    it('runs every call as written and gets the documented answers', async () => {
      // `keycycle sign` signs at the real time: the server's clock is set to it.
      server.clock.set(Date.now())
      const { token } = await server.kc.createOrganisation()
      await runSeedCalls(Number(new URL(server.url).port), token)
    })
  },
)
