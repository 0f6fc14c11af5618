import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { memoryStore } from '../../adapters/memory'
import { ADMIN } from '../../src/conformance/fixtures'
import { createKeycycle, type Keycycle, type KeycycleEvent } from '../../src/index'
import {
  type PublicKeysResponse,
  type SecretScanningOptions,
  secretScanning,
} from '../../src/secret-scanning'
import { eventMessage } from '../../src/webhooks'
import { manualClock } from '../helpers/clock'
import { fakeGitHub, keyList, signedHeaders } from './github'

const URL_FOUND = 'https://github.com/octo/repo/blob/abc/.env'
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const open: Keycycle[] = []
afterEach(async () => {
  for (const kc of open.splice(0)) await kc.close()
})

async function setup(options: SecretScanningOptions = {}, given = true) {
  const github = fakeGitHub()
  const events: KeycycleEvent[] = []
  const kc = createKeycycle({ store: memoryStore(), onEvent: (e) => void events.push(e) })
  open.push(kc)
  const created = await kc.createOrganisation()
  const other = await kc.asOrganisation(created.organisation.id).createKey()
  const keys = [{ keyIdentifier: github.keyIdentifier, key: github.publicPem }]
  const handle = secretScanning(kc, given ? { keys, ...options } : options)
  const post = (body: string, headers: Record<string, string>) =>
    handle(new Request('https://api.example/github/leaks', { method: 'POST', headers, body }))
  const leaked = async () => {
    await kc.drainEvents()
    return events.filter((e) => e.type === 'key.leaked')
  }
  return { github, kc, created, other, post, leaked, events }
}

const report = (...tokens: string[]) =>
  JSON.stringify(
    tokens.map((token) => ({ token, type: 'kc_token', url: URL_FOUND, source: 'content' })),
  )

describe('secretScanning over a Request', () => {
  it('revokes each true positive of a correctly signed batch and reports false positives', async () => {
    const { github, kc, created, other, post, leaked } = await setup()
    const fake = `${created.token.slice(0, -3)}abc`
    const body = report(created.token, 'kc_not_a_token', fake)
    const response = await post(body, signedHeaders(github, body))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual([
      { token_hash: sha256(created.token), token_type: 'kc_token', label: 'true_positive' },
      { token_hash: sha256('kc_not_a_token'), token_type: 'kc_token', label: 'false_positive' },
      { token_hash: sha256(fake), token_type: 'kc_token', label: 'false_positive' },
    ])
    expect(await kc.verify(created.token)).toMatchObject({ ok: false, code: 'invalid' })
    expect(await kc.verify(other.token)).toMatchObject({ ok: true })
    const events = await leaked()
    expect(events).toMatchObject([
      { key: { id: created.key.id }, slot: 'primary', outcome: 'revoked', url: URL_FOUND },
    ])
    expect(JSON.stringify(events)).not.toContain(created.token)
    // A webhook delivery carries where it was found and what was done, beside the key.
    const message = eventMessage(events[0]!)
    expect(message).toMatchObject({
      type: 'key.leaked',
      data: { id: created.key.id, leak: { slot: 'primary', which: 'current', outcome: 'revoked' } },
    })
    expect(JSON.stringify(message)).not.toContain(created.token)
  })

  it('under notify only reports: the token keeps working', async () => {
    const { github, kc, created, post, leaked } = await setup({ policy: 'notify' })
    const body = report(created.token)
    const response = await post(body, signedHeaders(github, body))
    expect(await response.json()).toMatchObject([{ label: 'true_positive' }])
    expect(await kc.verify(created.token)).toMatchObject({ ok: true })
    expect(await leaked()).toMatchObject([{ outcome: 'reported', source: 'content' }])
  })

  it('refuses bad signatures, unknown keys, missing headers and oversize bodies, changing nothing', async () => {
    const { github, kc, created, post, leaked, events } = await setup()
    const body = report(created.token)
    const stranger = fakeGitHub()
    const changed = body.replace('content', 'contenT')
    const many = JSON.stringify(Array(1001).fill({ token: created.token, type: 't' }))
    const huge = JSON.stringify([{ token: created.token, type: 't', url: 'x'.repeat(1024 * 1024) }])
    const cases: [string, string, Record<string, string>, number][] = [
      [
        'wrong key identifier',
        body,
        signedHeaders(github, body, { identifier: 'b'.repeat(64) }),
        401,
      ],
      [
        'signed by another key',
        body,
        signedHeaders(github, body, { signature: stranger.sign(body) }),
        401,
      ],
      [
        'a signature over other bytes',
        body,
        signedHeaders(github, body, { signature: github.sign('[]') }),
        401,
      ],
      ['a body changed by one byte', changed, signedHeaders(github, body), 401],
      ['no signature', body, { 'github-public-key-identifier': github.keyIdentifier }, 401],
      ['no identifier', body, { 'github-public-key-signature': github.sign(body) }, 401],
      [
        'a signature that is not DER',
        body,
        signedHeaders(github, body, { signature: 'bm90IGRlcg==' }),
        401,
      ],
      ['more than 1,000 matches', many, signedHeaders(github, many), 413],
      ['more than 1 MiB', huge, signedHeaders(github, huge), 413],
    ]
    for (const [name, sent, headers, status] of cases) {
      const response = await post(sent, headers)
      expect(response.status, name).toBe(status)
      expect(await response.json(), name).toMatchObject({
        error: status === 401 ? 'unauthorized' : 'payload_too_large',
      })
    }
    expect(await kc.verify(created.token)).toMatchObject({ ok: true })
    expect(await leaked()).toEqual([])
    expect(
      events.filter((e) => e.type !== 'key.created' && e.type !== 'organisation.created'),
    ).toEqual([])
    const key = await kc.as(ADMIN).getKey(created.key.id)
    expect(key.version).toBe(created.key.version)
  })

  it('answers 400 for a signed body that is not a list of matches', async () => {
    const { github, post } = await setup()
    const body = '{"token":"x"}'
    expect((await post(body, signedHeaders(github, body))).status).toBe(400)
  })
})

describe('the public key list', () => {
  function fetching(list: () => unknown) {
    const calls: string[] = []
    const fetch = async (url: string): Promise<PublicKeysResponse> => {
      calls.push(url)
      return { ok: true, status: 200, json: async () => list() }
    }
    return { calls, fetch }
  }

  it('is fetched once, kept, and refetched for an unknown identifier at most once a minute', async () => {
    const first = fakeGitHub('1'.repeat(64))
    const second = fakeGitHub('2'.repeat(64))
    let listed = [first]
    const { calls, fetch } = fetching(() => keyList(...listed))
    const clock = manualClock()
    const { post } = await setup(
      { fetch, now: clock.now, keysUrl: 'https://keys.test/list' },
      false,
    )
    const body = '[]'
    expect((await post(body, signedHeaders(first, body))).status).toBe(200)
    expect((await post(body, signedHeaders(first, body))).status).toBe(200)
    expect(calls).toEqual(['https://keys.test/list'])
    // GitHub adds a key: unknown here, and the last fetch was under a minute ago.
    listed = [first, second]
    clock.advance(30_000)
    expect((await post(body, signedHeaders(second, body))).status).toBe(401)
    expect(calls).toHaveLength(1)
    clock.advance(30_000)
    expect((await post(body, signedHeaders(second, body))).status).toBe(200)
    expect(calls).toHaveLength(2)
    // Known keys never cause a fetch; an unknown one at most once a minute.
    for (let i = 0; i < 5; i++) await post(body, signedHeaders(first, body, { identifier: 'x' }))
    expect(calls).toHaveLength(2)
    clock.advance(60_000)
    for (let i = 0; i < 5; i++) await post(body, signedHeaders(first, body, { identifier: 'x' }))
    expect(calls).toHaveLength(3)
  })

  it('defaults to GitHub’s URL, and answers 503 while it cannot be read', async () => {
    const calls: string[] = []
    const fetch = async (url: string): Promise<PublicKeysResponse> => {
      calls.push(url)
      return { ok: false, status: 502, json: async () => null }
    }
    const github = fakeGitHub()
    const errors: unknown[] = []
    const { post } = await setup({ fetch, onError: (e) => errors.push(e) }, false)
    const response = await post('[]', signedHeaders(github, '[]'))
    expect(response.status).toBe(503)
    expect(calls).toEqual(['https://api.github.com/meta/public_keys/secret_scanning'])
  })
})
