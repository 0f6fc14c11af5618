import { describe, expect, it } from 'vitest'
import { isPermissionName, permissionGranted } from '../../src/core/permissions'
import { MAX_PERMISSION_LENGTH } from '../../src/core/schema/limits'

describe('permissionGranted', () => {
  it.each([
    [['reports:read'], 'reports:read', true],
    [['reports:read'], 'reports:write', false],
    [['reports:*'], 'reports:read', true],
    [['reports:*'], 'reports:export:csv', true],
    [['reports:*'], 'reports', false],
    [['reports:*'], 'reports:', false],
    [['reports:*'], 'reportsx', false],
    [['reports.*'], 'reports.read', true],
    [['reports/*'], 'reports/read', true],
    [['*'], 'anything:at:all', true],
    [['report*'], 'reports', false],
    [['report*'], 'report*', true],
    [['a*b'], 'axb', false],
    [['reports-*'], 'reports-read', false],
    [['billing:read', 'reports:*'], 'reports:read', true],
    [[], 'reports:read', false],
  ])('%j grants %s: %s', (granted, name, expected) => {
    expect(permissionGranted(granted, name)).toBe(expected)
  })
})

describe('isPermissionName', () => {
  it.each([
    ['reports:read', true],
    ['a.b/c-d_e:*', true],
    ['x'.repeat(MAX_PERMISSION_LENGTH), true],
    ['x'.repeat(MAX_PERMISSION_LENGTH + 1), false],
    ['', false],
    ['reports read', false],
    ['réports', false],
    [42, false],
  ])('%j: %s', (value, expected) => {
    expect(isPermissionName(value)).toBe(expected)
  })
})
