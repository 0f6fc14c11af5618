import { describe, expect, it } from 'vitest'
import { KeycycleError } from '../../src'
import { inputFromWire, KEY_FIELDS } from '../../src/core/schema'
import { faultResponse } from '../../src/http/error-responses'

const body = (error: unknown) =>
  faultResponse(error).body as { error: string; message: string; params: Record<string, string> }

describe('error messages on the wire name wire fields', () => {
  it('renders the field an error carries in wire spelling wherever its message names it', () => {
    const lockout = new KeycycleError(
      'lockout',
      'this is the last active standard key of the organisation; pass allowLockout to delete it anyway',
      { details: { field: 'allowLockout', from: 'active' } },
    )
    expect(body(lockout)).toEqual({
      error: 'lockout',
      message:
        'this is the last active standard key of the organisation; pass allow_lockout to delete it anyway',
      params: { field: 'allow_lockout', from: 'active' },
    })
    const nested = new KeycycleError(
      'validation',
      'config.publishSourceFiles: must be a boolean; config.publishSourceFiles decides it',
      { details: { field: 'config.publishSourceFiles' } },
    )
    expect(body(nested).message).toBe(
      'config.publish_source_files: must be a boolean; config.publish_source_files decides it',
    )
  })

  it('leaves longer names that contain the field, and the message of a field it does not carry', () => {
    const error = new KeycycleError('validation', 'expiresAt: unlike maxExpiresAt or x.expiresAt', {
      details: { field: 'expiresAt' },
    })
    expect(body(error).message).toBe('date_expires: unlike maxExpiresAt or x.expiresAt')
    const plain = new KeycycleError('conflict', 'storageConfig changed concurrently')
    expect(body(plain).message).toBe('storageConfig changed concurrently')
  })

  it('keeps errors raised while reading wire input as they are: they name the field as sent', () => {
    let error: unknown
    try {
      inputFromWire(KEY_FIELDS, { expiresAt: '2030-01-01T00:00:00Z' }, 'create')
    } catch (thrown) {
      error = thrown
    }
    expect(body(error)).toMatchObject({
      message: 'expiresAt: is not a known field',
      params: { field: 'expiresAt' },
    })
  })
})
