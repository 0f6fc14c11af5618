import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../adapters/memory'
import { createKeycycle, KeycycleError } from '../../src'
import type { KeyStore } from '../../src/store'
import { asyncOnly } from '../helpers/async-only'
import { manualClock } from '../helpers/clock'
import { countingStore } from '../helpers/counting-store'
import { newOrg } from '../helpers/setup'

describe('verify', () => {
  it('rejects every one-character change of a real token without a single store call', async () => {
    const store = countingStore(memoryStore())
    const kc = createKeycycle({ store, clock: manualClock(), tokenPrefix: 'kc_live' })
    const o = await newOrg(kc)
    const before = store.calls()
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_'
    let tried = 0
    for (let i = 0; i < o.token.length; i++) {
      for (const c of alphabet) {
        if (c === o.token[i]) continue
        const result = await kc.verify(o.token.slice(0, i) + c + o.token.slice(i + 1))
        expect(result.ok).toBe(false)
        tried++
      }
    }
    expect(tried).toBe(o.token.length * (alphabet.length - 1))
    expect(store.calls()).toBe(before)
    expect((await kc.verify(o.token)).ok).toBe(true)
    expect(store.calls()).toBe(before + 1)
  })

  it('costs one store call for a well-formed token of an unknown key, answered not_found', async () => {
    const store = countingStore(memoryStore())
    const kc = createKeycycle({ store })
    const o = await newOrg(kc)
    const other = await newOrg(createKeycycle({ store: memoryStore() }))
    const before = store.calls()
    expect(await kc.verify(other.token)).toMatchObject({ ok: false, code: 'not_found' })
    expect(store.calls()).toBe(before + 1)
    expect(o.key.id).not.toBe(other.key.id)
  })

  it('accepts tokens only under the configured pepper', async () => {
    const store = memoryStore()
    const a = createKeycycle({ store, pepper: 'pepper-number-one-0123' })
    const b = createKeycycle({ store, pepper: 'pepper-number-two-0123' })
    const o = await newOrg(a)
    expect((await a.verify(o.token)).ok).toBe(true)
    expect(await b.verify(o.token)).toMatchObject({ ok: false, code: 'invalid' })
  })

  it('fails with unavailable — never ok, never hanging — when the store does not answer', async () => {
    const store = memoryStore()
    const kc = createKeycycle({ store })
    const o = await newOrg(kc)
    const hanging: KeyStore = {
      ...asyncOnly(store),
      getKeyWithOrganisation: () => new Promise(() => {}),
    }
    const slow = createKeycycle({ store: hanging, storeTimeoutMs: 50 })
    const started = performance.now()
    const error = await slow.verify(o.token).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(KeycycleError)
    expect(error).toMatchObject({ code: 'unavailable' })
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('turns a store fault into unavailable with the cause kept and no token in the message', async () => {
    const store = memoryStore()
    const kc = createKeycycle({ store })
    const o = await newOrg(kc)
    const cause = new Error('ECONNREFUSED')
    const broken = createKeycycle({
      store: { ...asyncOnly(store), getKeyWithOrganisation: () => Promise.reject(cause) },
    })
    const error = (await broken.verify(o.token).catch((e: unknown) => e)) as KeycycleError
    expect(error).toMatchObject({ code: 'unavailable', cause })
    expect(error.message).not.toContain(o.token.slice(-10))
  })

  it('takes a synchronous answer as it is, and turns a synchronous throw into unavailable', async () => {
    const store = memoryStore()
    const kc = createKeycycle({ store })
    const o = await newOrg(kc)
    // The memory store answers its verification read at once, through the port's sync read.
    const answer = store.getKeyWithOrganisationSync(o.key.id)
    expect(answer).not.toBeInstanceOf(Promise)
    expect(answer?.key.id).toBe(o.key.id)
    const cause = new Error('the map broke')
    const throwing = createKeycycle({
      store: {
        ...store,
        getKeyWithOrganisationSync: () => {
          throw cause
        },
      },
    })
    await expect(throwing.verify(o.token)).rejects.toMatchObject({ code: 'unavailable', cause })
  })
})

describe('secrets at rest', () => {
  it('the memory store never holds a token or a secret, only digests and hints', async () => {
    const store = memoryStore()
    const kc = createKeycycle({ store })
    const o = await newOrg(kc)
    const tokens = [o.token]
    tokens.push((await kc.as(o.actor).rotateKey(o.key.id, {})).token)
    tokens.push((await kc.as(o.actor).regenerateKey(o.key.id, 'secondary')).token)
    tokens.push((await kc.as(o.actor).createKey({ organisation: o.id })).token)
    const dump = JSON.stringify(store.snapshot())
    for (const token of tokens) {
      const secret = token.slice(-49, -6)
      expect(dump).not.toContain(token)
      // Any 12-character window of the secret would already be a leak.
      for (let i = 0; i + 12 <= secret.length; i++)
        expect(dump).not.toContain(secret.slice(i, i + 12))
    }
    expect(dump).toContain(`*****${o.token.slice(-4)}`)
  })
})

describe('the views successful verifications share', () => {
  it('are frozen, shared per stored record, and follow the end of a grace window', async () => {
    const clock = manualClock()
    const kc = createKeycycle({ store: memoryStore(), clock, gracePeriodMs: 1000 })
    const o = await newOrg(kc)
    const { token } = await kc.as(o.actor).rotateKey(o.key.id)
    await kc.verify(token)
    const first = await kc.verify(token)
    const second = await kc.verify(token)
    if (!first.ok || !second.ok) throw new Error('the new token must verify')
    expect(second.key).toBe(first.key)
    expect(Object.isFrozen(first.key.primary)).toBe(true)
    expect(() => {
      ;(first.key as { name: string | null }).name = 'changed'
    }).toThrow(TypeError)
    expect(first.key.primary.retiringUntil).toBe(clock.now() + 1000)
    clock.advance(1000)
    const after = await kc.verify(token)
    expect(after.ok && after.key.primary.retiringUntil).toBeNull()
    // A write gives the record, and so the view, a new identity.
    await kc.as(o.actor).updateKey(o.key.id, { name: 'renamed' })
    const renamed = await kc.verify(token)
    expect(renamed.ok && renamed.key.name).toBe('renamed')
  })
})
