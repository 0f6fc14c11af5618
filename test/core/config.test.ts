import { describe, expect, it } from 'vitest'
import { effectiveConfig, mergeConfig } from '../../src/core/config'

const org = (over = {}) => ({ storageConfig: null, webhookConfig: null, config: {}, ...over })
const key = (over = {}) => ({ storageConfig: null, webhookConfig: null, config: {}, ...over })

describe('override resolution', () => {
  it('falls back key → organisation → library default, naming the source', () => {
    expect(effectiveConfig(key(), org())).toEqual({
      storageConfig: { value: null, source: 'default' },
      webhookConfig: { value: null, source: 'default' },
      publishSourceFiles: { value: false, source: 'default' },
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

describe('config patches', () => {
  it('keeps absent fields, removes null ones, and null as a whole clears every override', () => {
    expect(mergeConfig({ publishSourceFiles: true }, {})).toEqual({ publishSourceFiles: true })
    expect(mergeConfig({ publishSourceFiles: true }, { publishSourceFiles: null })).toEqual({})
    expect(mergeConfig({}, { publishSourceFiles: false })).toEqual({ publishSourceFiles: false })
    expect(mergeConfig({ publishSourceFiles: true }, null)).toEqual({})
  })
})
