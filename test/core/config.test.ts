import { describe, expect, it } from 'vitest'
import { effectiveConfig, LIBRARY_DEFAULTS, mergeConfig } from '../../src/core/config'
import type { RateLimit } from '../../src/core/types'

const none = { rateLimits: null, allowedIps: null }
const org = (over = {}) => ({
  storageConfig: null,
  webhookConfig: null,
  config: {},
  ...none,
  ...over,
})
const key = (over = {}) => ({
  storageConfig: null,
  webhookConfig: null,
  config: {},
  ...none,
  ...over,
})
const api: RateLimit = { name: 'api', limit: 100, windowMs: 60_000, scope: 'key' }
const shared: RateLimit = { name: 'org', limit: 1000, windowMs: 60_000, scope: 'organisation' }

describe('override resolution', () => {
  it('falls back key → organisation → library default, naming the source', () => {
    expect(effectiveConfig(key(), org())).toEqual({
      storageConfig: { value: null, source: 'default' },
      webhookConfig: { value: null, source: 'default' },
      publishSourceFiles: { value: false, source: 'default' },
      rateLimits: { value: [], source: 'default' },
      allowedIps: { value: null, source: 'default' },
    })
    expect(
      effectiveConfig(key(), org({ storageConfig: 2, config: { publishSourceFiles: true } })),
    ).toMatchObject({
      storageConfig: { value: 2, source: 'organisation' },
      publishSourceFiles: { value: true, source: 'organisation' },
    })
    const both = effectiveConfig(
      key({ storageConfig: 'eu', config: { publishSourceFiles: false } }),
      org({ storageConfig: 2, config: { publishSourceFiles: true } }),
    )
    expect(both.storageConfig).toEqual({ value: 'eu', source: 'key' })
    // false is a real override, not "unset".
    expect(both.publishSourceFiles).toEqual({ value: false, source: 'key' })
  })

  it('keeps the JSON type of config IDs', () => {
    expect(effectiveConfig(key({ webhookConfig: 2 }), org()).webhookConfig.value).toBe(2)
    expect(effectiveConfig(key({ webhookConfig: '2' }), org()).webhookConfig.value).toBe('2')
  })
})

describe('usage control inheritance', () => {
  it('takes the key’s rate limits, else the organisation’s, else none; [] on the key is its own', () => {
    expect(
      effectiveConfig(key({ rateLimits: [api] }), org({ rateLimits: [shared] })).rateLimits,
    ).toEqual({
      value: [api],
      source: 'key',
    })
    expect(effectiveConfig(key(), org({ rateLimits: [shared] })).rateLimits).toEqual({
      value: [shared],
      source: 'organisation',
    })
    // An empty list of its own: no limits, whatever the organisation's.
    expect(
      effectiveConfig(key({ rateLimits: [] }), org({ rateLimits: [shared] })).rateLimits,
    ).toEqual({
      value: [],
      source: 'key',
    })
    expect(effectiveConfig(key(), org()).rateLimits).toEqual({ value: [], source: 'default' })
    expect(LIBRARY_DEFAULTS.rateLimits).toEqual([])
  })

  it('takes the key’s allow-list, else the organisation’s, else any address (null)', () => {
    const own = ['10.0.0.0/8']
    const orgs = ['192.0.2.0/24']
    expect(effectiveConfig(key({ allowedIps: own }), org({ allowedIps: orgs })).allowedIps).toEqual(
      {
        value: own,
        source: 'key',
      },
    )
    expect(effectiveConfig(key(), org({ allowedIps: orgs })).allowedIps).toEqual({
      value: orgs,
      source: 'organisation',
    })
    expect(effectiveConfig(key(), org()).allowedIps).toEqual({ value: null, source: 'default' })
  })
})

describe('config patches', () => {
  it('keeps absent fields, removes null ones, and null as a whole clears every override', () => {
    expect(mergeConfig({ publishSourceFiles: true }, {})).toEqual({ publishSourceFiles: true })
    expect(mergeConfig({ publishSourceFiles: true }, { publishSourceFiles: null })).toEqual({})
    expect(mergeConfig({}, { publishSourceFiles: false })).toEqual({ publishSourceFiles: false })
    expect(mergeConfig({ publishSourceFiles: true }, null)).toEqual({})
  })
})
