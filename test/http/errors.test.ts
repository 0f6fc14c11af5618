import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { kyselyStore } from '../../adapters/kysely'
import { memoryStore } from '../../adapters/memory'
import { KeycycleError, type KeycycleErrorCode } from '../../src'
import { newId } from '../../src/core/ids'
import { mintToken } from '../../src/core/token'
import { ERROR_STATUS } from '../../src/http/error-status'
import { asyncOnly } from '../helpers/async-only'
import { ADMIN_TOKEN, call, HOSTS, type Server, startServer, THROWING_ADMIN_TOKEN } from './hosts'

describe.each(HOSTS.map((h) => [h.name, h] as const))(
  '%s: errors the host can see',
  (_name, host) => {
    const servers: Server[] = []
    const start = async (options: Parameters<typeof startServer>[1]) => {
      const server = await startServer(host, options)
      servers.push(server)
      return server
    }
    afterEach(async () => {
      vi.restoreAllMocks()
      await Promise.all(servers.splice(0).map((s) => s.close()))
    })

    // A store whose reads fail with an error whose message quotes the token it was asked about.
    function leakyStore(token: () => string) {
      const store = memoryStore()
      return {
        ...asyncOnly(store),
        getKeyWithOrganisation: async () => {
          throw new Error(`connection reset while reading ${token()}`)
        },
        getKey: async () => {
          throw new Error(`connection reset while reading ${token()}`)
        },
      }
    }

    it('calls onError with the error and the framework’s request for a 5xx, from both middlewares', async () => {
      let token = ''
      const onError = vi.fn()
      const server = await start({ store: leakyStore(() => token), onError })
      token = (await server.kc.createOrganisation()).token
      const auth = await call(server, `/whoami`, { token })
      expect([auth.status, auth.body.error]).toEqual([503, 'unavailable'])
      expect(auth.headers.get('retry-after')).toBe('1')
      const router = await call(server, `/keys`, { token })
      expect(router.status).toBe(503)
      expect(onError).toHaveBeenCalledTimes(2)
      for (const [error, request] of onError.mock.calls) {
        expect(error).toBeInstanceOf(KeycycleError)
        expect((error as KeycycleError).code).toBe('unavailable')
        expect(host.pathOf(request)).toMatch(/^\/(whoami|keys)$/)
      }
      expect(auth.text).not.toContain(token)
    })

    it('by default logs 5xx faults to console.error, one line with code and message, never a token', async () => {
      let token = ''
      const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
      const server = await start({ store: leakyStore(() => token) })
      const created = await server.kc.createOrganisation()
      token = created.token
      await call(server, `/whoami`, { token })
      await call(server, `/keys/${created.key.id}`, { token })
      expect(logged).toHaveBeenCalledTimes(2)
      for (const args of logged.mock.calls) {
        expect(args).toHaveLength(1)
        expect(args[0]).toMatch(/^keycycle: 503 unavailable: .+\(cause: Error: connection reset/)
        expect(args[0]).not.toContain(token)
        expect(args[0]).not.toContain(token.slice(30))
      }
      // 4xx are the client's business: nothing logged.
      logged.mockClear()
      const healthy = await start({})
      const o = await healthy.kc.createOrganisation()
      await call(healthy, `/keys/${o.key.id}`, {
        method: 'POST',
        token: o.token,
        json: { x: 1 },
      })
      await call(healthy, `/keys`, { token: 'nope' })
      expect(logged).not.toHaveBeenCalled()
    })

    it('answers a store never migrated 500 misconfigured, without Retry-After, and logs it once', async () => {
      const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
      // A prefix of this host's own: the default onError logs each misconfiguration once.
      const prefix = `never_migrated_${host.name}_`
      const sqlite = new Database(':memory:')
      const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqlite }) })
      const server = await start({ store: kyselyStore(db, { tablePrefix: prefix, sqlite }) })
      const random = (n: number) => crypto.getRandomValues(new Uint8Array(n))
      const token = mintToken('kc', newId('key', Date.now(), random(16)), random(32)).token
      const organisation = newId('org', Date.now(), random(16))
      const answers = [
        await call(server, '/whoami', { token }),
        await call(server, '/whoami', { token }),
        await call(server, `/keys?organisation=${organisation}`, {
          headers: { 'x-admin-token': ADMIN_TOKEN },
        }),
      ]
      for (const res of answers) {
        expect([res.status, res.body.error]).toEqual([500, 'misconfigured'])
        expect(res.body.message).toContain('migrateKeycycle')
        expect(res.body.message).toContain(`"${prefix}"`)
        expect(res.headers.get('retry-after')).toBeNull()
      }
      expect(logged).toHaveBeenCalledOnce()
      expect(logged.mock.calls[0]![0]).toMatch(
        new RegExp(
          `^keycycle: 500 misconfigured: .*"${prefix}".*\\(cause: SqliteError: no such table`,
        ),
      )
      await db.destroy()
    })

    it('answers an unexpected fault 500 internal, revealing nothing, and reports it', async () => {
      const onError = vi.fn()
      const server = await start({ onError })
      const res = await call(server, `/keys`, {
        headers: { 'x-admin-token': THROWING_ADMIN_TOKEN },
      })
      expect(res.status).toBe(500)
      expect(res.body).toEqual({ error: 'internal', message: 'internal error', params: {} })
      expect(onError).toHaveBeenCalledOnce()
      expect((onError.mock.calls[0]![0] as Error).message).toBe('isAdmin broke')
    })

    it('with passErrors, hands unexpected faults to the host’s error handling and still answers 503 itself', async () => {
      const onError = vi.fn()
      let token = ''
      const server = await start({ passErrors: true, onError, store: leakyStore(() => token) })
      const res = await call(server, `/keys`, {
        headers: { 'x-admin-token': THROWING_ADMIN_TOKEN },
      })
      expect([res.status, res.body]).toEqual([418, { host: 'isAdmin broke' }])
      expect(onError).not.toHaveBeenCalled()
      token = (await server.kc.createOrganisation()).token
      const unavailable = await call(server, `/whoami`, { token })
      expect([unavailable.status, unavailable.body.error]).toEqual([503, 'unavailable'])
      expect(onError).toHaveBeenCalledOnce()
    })
  },
)

describe('KeycycleError.status', () => {
  // Express's, Koa's and Fastify's default error handlers answer a thrown error with its
  // `status`; the HTTP layer's map defines it, the core chooses none.
  it('is the status map’s for every code, so a host’s framework answers with it', () => {
    const codes = Object.keys(ERROR_STATUS).filter(
      (code) =>
        ![
          'method_not_allowed',
          'payload_too_large',
          'internal',
          'deactivated',
          'blocked',
          'expired',
        ].includes(code),
    ) as KeycycleErrorCode[]
    expect(codes).toContain('unauthorized')
    for (const code of codes) {
      expect(new KeycycleError(code, 'x').status, code).toBe(ERROR_STATUS[code])
    }
    expect(new KeycycleError('lockout', 'x')).toMatchObject({ code: 'lockout', status: 409 })
  })

  it('takes a framework’s write, as a plain field would (Koa sets err.status)', () => {
    const error = new KeycycleError('unauthorized', 'x')
    ;(error as { status: number }).status = 418
    expect(error.status).toBe(418)
    expect(new KeycycleError('unauthorized', 'x').status).toBe(401)
  })
})
