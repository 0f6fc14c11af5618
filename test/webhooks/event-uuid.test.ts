import { describe, expect, it } from 'vitest'
import { eventIdFromUuid, eventUuid } from '../../src/webhooks'

describe('eventUuid', () => {
  it('writes the ULID’s 128 bits as a UUID (the ULID spec’s example)', () => {
    // 01ARZ3NDEKTSV4RRFFQ69G5FAV is 0x01563E3AB5D3D6764C61EFB99302BD5B (python-ulid agrees).
    expect(eventUuid('evt_01ARZ3NDEKTSV4RRFFQ69G5FAV')).toBe('01563e3a-b5d3-d676-4c61-efb99302bd5b')
    expect(eventUuid('evt_00000000000000000000000000')).toBe('00000000-0000-0000-0000-000000000000')
    expect(eventUuid('evt_7ZZZZZZZZZZZZZZZZZZZZZZZZZ')).toBe('ffffffff-ffff-ffff-ffff-ffffffffffff')
  })

  it('is lossless: the event ID comes back', () => {
    for (const id of ['evt_01ARZ3NDEKTSV4RRFFQ69G5FAV', 'evt_7ZZZZZZZZZZZZZZZZZZZZZZZZZ']) {
      expect(eventIdFromUuid(eventUuid(id))).toBe(id)
    }
    expect(eventIdFromUuid('not-a-uuid')).toBeNull()
  })

  it('passes a UUID through in lower case and refuses anything else', () => {
    expect(eventUuid('01563E3A-B5D3-D676-4C61-EFB99302BD5B')).toBe(
      '01563e3a-b5d3-d676-4c61-efb99302bd5b',
    )
    for (const bad of [
      'evt_01ARZ3NDEKTSV4RRFFQ69G5FA',
      'evt_81ARZ3NDEKTSV4RRFFQ69G5FAV',
      'key_01ARZ3NDEKTSV4RRFFQ69G5FAV',
    ]) {
      expect(() => eventUuid(bad)).toThrow(/id: must be/)
    }
  })
})
