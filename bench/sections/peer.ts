// Figure 4: keycycle against the peer it is most often compared with, better-auth's API-key
// plugin, on one SQLite file (each library on its own connection, WAL, synchronous=NORMAL).
// better-auth runs with its defaults except per-key rate limiting, which is switched off: left
// on, its default of 10 requests a day refuses every verification after the tenth. It still
// writes the key row on each verification (lastRequest, updatedAt), as it does by default.
// keycycle's store is set up as the README advises for SQLite (reusePreparedStatements, and the
// connection given as the `sqlite` option).
import { Kysely, SqliteDialect } from 'kysely'
import { kyselyStore, migrateKeycycle, reusePreparedStatements } from '../../adapters/kysely'
import { createKeycycle } from '../../src/service/keycycle'
import { sqliteFile, tablePrefix } from '../backends'
import { loadDependency } from '../deps'
import { type Case, compare, cycle } from '../harness'
import { checkTokens, makeTokens, verifyOk } from '../tokens'
import type { Context } from './context'
import { CACHE } from './verify'

// The parts of better-auth the bench calls, typed here so the type check needs no install.
interface BetterAuth {
  options: unknown
  api: {
    signUpEmail(input: {
      body: { email: string; password: string; name: string }
    }): Promise<{ user: { id: string } }>
    createApiKey(input: { body: { userId: string } }): Promise<{ key: string }>
    verifyApiKey(input: { body: { key: string } }): Promise<{ valid: boolean }>
  }
}
type BetterAuthModule = { betterAuth(options: Record<string, unknown>): BetterAuth }
type MigrationModule = {
  getMigrations(options: unknown): Promise<{ runMigrations(): Promise<void> }>
}
type ApiKeyModule = { apiKey(options: Record<string, unknown>): unknown }

const KEYS = 16

export async function peerFigures({ report, timing }: Context): Promise<void> {
  const { betterAuth } = await loadDependency<BetterAuthModule>('better-auth')
  const { getMigrations } = await loadDependency<MigrationModule>('better-auth/db/migration')
  const { apiKey } = await loadDependency<ApiKeyModule>('@better-auth/api-key')

  const file = sqliteFile()
  const sqlite = file.open()
  const database = reusePreparedStatements(sqlite)
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) })
  const prefix = tablePrefix()
  const store = kyselyStore(db, { tablePrefix: prefix, sqlite })
  const kc = createKeycycle({ store })
  const cached = createKeycycle({ store, cache: CACHE })
  try {
    await migrateKeycycle(db, { tablePrefix: prefix })
    const tokens = await makeTokens(kc, KEYS)
    await checkTokens(kc, tokens)
    await checkTokens(cached, tokens)

    const auth = betterAuth({
      database: file.open(),
      secret: 'keycycle-bench-secret-of-at-least-32-characters',
      baseURL: 'http://localhost:3000',
      emailAndPassword: { enabled: true },
      plugins: [apiKey({ rateLimit: { enabled: false } })],
      logger: { disabled: true },
      telemetry: { enabled: false },
    })
    await (await getMigrations(auth.options)).runMigrations()
    const { user } = await auth.api.signUpEmail({
      body: { email: 'bench@example.com', password: 'a long enough password', name: 'bench' },
    })
    const peerKeys: string[] = []
    for (let i = 0; i < KEYS; i++) {
      peerKeys.push((await auth.api.createApiKey({ body: { userId: user.id } })).key)
    }
    const nextPeerKey = cycle(peerKeys)
    const peer: Case = {
      name: 'better-auth verifyApiKey',
      run: async () => {
        const result = await auth.api.verifyApiKey({ body: { key: nextPeerKey() } })
        if (!result.valid) throw new Error('better-auth refused one of its own keys')
      },
    }
    const uncachedCase: Case = { name: 'keycycle verify', run: verifyOk(kc, cycle(tokens.valid)) }
    const cachedCase: Case = {
      name: 'keycycle cached verify',
      run: verifyOk(cached, cycle(tokens.valid)),
    }

    for (const inflight of [1, 64]) {
      const label = inflight === 1 ? 'sequential' : `${inflight} in flight`
      console.log(`\n[better-auth] keycycle vs verifyApiKey on one SQLite file, ${label}`)
      const cases = [peer, uncachedCase, cachedCase].map((c) => ({ ...c, inflight }))
      const g = await compare(cases, timing)
      report.ratio(4, `sqlite: verify ÷ better-auth, ${label}`, g, uncachedCase.name, peer.name, {
        atLeast: 30,
      })
      report.ratio(
        4,
        `sqlite: cached verify ÷ better-auth, ${label}`,
        g,
        cachedCase.name,
        peer.name,
        { atLeast: 100 },
      )
    }
  } finally {
    await kc.close()
    await cached.close()
    await db.destroy()
    file.remove()
  }
}
