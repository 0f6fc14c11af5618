import { newId } from '../core/ids'
import { newOrganisation } from '../core/organisations'
import {
  MAX_ACTOR_ID_LENGTH,
  MAX_CONFIG_ID_JSON_LENGTH,
  MAX_CONFIG_ID_LENGTH,
  MAX_DESCRIPTION_LENGTH,
  MAX_METADATA_BYTES,
  MAX_NAME_LENGTH,
  MAX_PERMISSION_LENGTH,
  MAX_PERMISSIONS,
} from '../core/schema'
import type { Actor, ConfigId, Key, KeyRecord, Metadata, Organisation } from '../core/types'
import { createKeycycle } from '../service/keycycle'
import { keyRecord, manualClock, randomBytes, T0 } from './fixtures'
import type { Expect } from './runner'
import type { StoreSuiteContext } from './suite-context'

const storeTimeoutMs = 30_000

// Every kind of character a store must keep as it is: quotes, backslashes, C0 and C1 controls,
// DEL, line separators, a byte-order mark, a noncharacter, SQL wildcards and placeholders, and
// text of 2, 3 and 4 UTF-8 bytes. Only U+0000 and lone surrogates are refused by validation.
const PIECES = [
  '"',
  '\\',
  "'",
  '`',
  '\t',
  '\n',
  '\r',
  '\u0001',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u2028',
  '\ufeff',
  '\uffff',
  '%',
  '_',
  '?',
  '$1',
  'ü',
  '鍵',
  '𝒳',
  '🔑',
]
const utf8Bytes = (text: string) => new TextEncoder().encode(text).length

/** Exactly `length` UTF-16 code units of {@link PIECES}, padded, never splitting a pair. */
function fill(length: number, pad = ' '): string {
  let out = ''
  for (let i = 0; ; i++) {
    const piece = PIECES[i % PIECES.length]!
    if (out.length + piece.length > length) break
    out += piece
  }
  return out + pad.repeat(length - out.length)
}

/** A metadata object of exactly `bytes` bytes of UTF-8 JSON, around `base`. */
function metadataOf(base: Metadata, bytes: number): Metadata {
  const without = utf8Bytes(JSON.stringify({ ...base, pad: '' }))
  return { ...base, pad: 'x'.repeat(bytes - without) }
}

/**
 * Values at the edge of what validation admits, built from the schema's limits: strings of the
 * longest length made of hostile characters, config IDs of every JSON shape, the most and the
 * longest permissions, metadata of exactly the largest size. Shared by the conformance suite and
 * the HTTP tests, which send them over the wire.
 */
export function extremeValues() {
  const hostile = PIECES.join('')
  // `__proto__` as an own key, as JSON.parse makes it: an object literal would set the prototype.
  const proto = JSON.parse('{"__proto__": {"polluted": true}}') as Metadata
  const configIds: ConfigId[] = [
    '"'.repeat(MAX_CONFIG_ID_LENGTH),
    '\\'.repeat(MAX_CONFIG_ID_LENGTH),
    '\u0001'.repeat(MAX_CONFIG_ID_LENGTH), // the longest JSON: MAX_CONFIG_ID_JSON_LENGTH
    `${'🔑'.repeat((MAX_CONFIG_ID_LENGTH - 1) / 2)}"`,
    fill(MAX_CONFIG_ID_LENGTH),
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
    0,
    2,
    '2',
    'null',
    'true',
    ' ',
    ' x ',
  ]
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:*/-'
  const permissions = Array.from({ length: MAX_PERMISSIONS }, (_, i) =>
    `${String(i).padStart(3, '0')}${alphabet.repeat(3)}`.slice(0, MAX_PERMISSION_LENGTH),
  )
  const metadataA = metadataOf(
    {
      [hostile]: hostile,
      '': [[], {}, [[[['deep']]]]],
      ...proto,
      numbers: [Number.MAX_VALUE, 5e-324, -1.5, 2 ** 53 + 2, 1e21, 0.1, Number.MIN_SAFE_INTEGER],
      flags: [true, false, null],
      '𝒳🔑': { 'nested "quoted" \\ key\u0001': '\u007f\u2028' },
    },
    MAX_METADATA_BYTES,
  )
  const metadataB = metadataOf(
    { '"\\': '\\"'.repeat(200), '🔑': '🔑'.repeat(100), '\n': '\u001f' },
    MAX_METADATA_BYTES,
  )
  return {
    names: [fill(MAX_NAME_LENGTH), `${'🔑'.repeat((MAX_NAME_LENGTH - 1) / 2)} `, ' '],
    descriptions: [fill(MAX_DESCRIPTION_LENGTH), '\\'.repeat(MAX_DESCRIPTION_LENGTH)],
    configIds,
    permissions,
    metadata: [metadataA, metadataB],
    /** An admin whose ID is the longest and most hostile allowed: it is stored as the writer. */
    admin: { kind: 'admin', id: fill(MAX_ACTOR_ID_LENGTH, '.') } as Actor,
  }
}

// The fields a write set, as a read must show them.
const written = (key: Key | KeyRecord) => ({
  name: key.name,
  description: key.description,
  storageConfig: key.storageConfig,
  webhookConfig: key.webhookConfig,
  permissions: key.permissions,
  metadata: key.metadata,
})

/** The values themselves, checked once: the suite proves nothing if they drift from the limits. */
function checkExtremes(expect: Expect, x: ReturnType<typeof extremeValues>): void {
  expect(x.names[0]).toHaveLength(MAX_NAME_LENGTH)
  expect(x.names[1]).toHaveLength(MAX_NAME_LENGTH)
  expect(x.descriptions[0]).toHaveLength(MAX_DESCRIPTION_LENGTH)
  for (const id of x.configIds.slice(0, 5)) expect(id).toHaveLength(MAX_CONFIG_ID_LENGTH)
  expect(JSON.stringify(x.configIds[2])).toHaveLength(MAX_CONFIG_ID_JSON_LENGTH)
  expect(new Set(x.permissions).size).toBe(MAX_PERMISSIONS)
  for (const p of x.permissions) expect(p).toHaveLength(MAX_PERMISSION_LENGTH)
  for (const m of x.metadata) expect(utf8Bytes(JSON.stringify(m))).toBe(MAX_METADATA_BYTES)
  expect(Object.keys(x.metadata[0]!)).toContain('__proto__')
  expect(x.admin.id).toHaveLength(MAX_ACTOR_ID_LENGTH)
}

/**
 * Extreme but valid values round-trip exactly: every limit the schema declares, made of every
 * character a store must keep, through the service and through the port, read back deep-equal.
 */
export function valuesSuite({ test, runner: { expect } }: StoreSuiteContext): void {
  const x = extremeValues()
  const [name0, name1, name2] = x.names as [string, string, string]
  const [description0, description1] = x.descriptions as [string, string]
  const [metadata0, metadata1] = x.metadata as [Metadata, Metadata]

  test('keeps extreme values exactly through the service: create, update, get, list, verify', async ({
    store,
  }) => {
    checkExtremes(expect, x)
    const kc = createKeycycle({ store, clock: manualClock(), storeTimeoutMs })
    const admin = kc.as(x.admin)
    const created = await kc.createOrganisation({
      storageConfig: x.configIds[0]!,
      webhookConfig: Number.MIN_SAFE_INTEGER,
      config: { publishSourceFiles: true },
      key: { name: name0, description: description0 },
    })
    const orgId = created.organisation.id
    expect(created.organisation).toMatchObject({
      storageConfig: x.configIds[0],
      webhookConfig: Number.MIN_SAFE_INTEGER,
    })
    expect(created.key).toMatchObject({ name: name0, description: description0 })
    expect(await admin.getOrganisation(orgId)).toEqual(created.organisation)
    expect(await admin.getKey(created.key.id)).toEqual(created.key)

    const org = kc.asOrganisation(orgId)
    // What each key shows: as written, from every read path.
    const reads = async (key: Key, token: string) => {
      expect(await org.getKey(key.id)).toEqual(key)
      expect(await admin.getKey(key.id)).toEqual(key)
      const page = await admin.listKeys({ organisation: orgId, limit: 100 })
      expect(page.data.find((k) => k.id === key.id)).toEqual(key)
      const verified = await kc.verify(token)
      expect(verified).toMatchObject({ ok: true })
      if (verified.ok) expect(verified.key).toEqual(key)
    }

    const input = {
      name: name1,
      description: description1,
      storageConfig: x.configIds[1]!,
      webhookConfig: Number.MAX_SAFE_INTEGER,
      permissions: x.permissions,
      metadata: metadata0,
    }
    const { key, token } = await admin.createKey({ organisation: orgId, ...input })
    expect(written(key)).toEqual(input)
    expect(key.modifiedBy).toBe(`admin:${x.admin.id}`)
    await reads(key, token)

    const patch = {
      name: name2,
      description: description0,
      storageConfig: x.configIds[2]!,
      webhookConfig: '2',
      metadata: metadata1,
    }
    const updated = await org.updateKey(key.id, patch)
    expect(written(updated)).toEqual({ ...patch, permissions: x.permissions })
    await reads(updated, token)

    // Every config ID shape, in both fields, on the key and as the organisation's default.
    let defaults = created.organisation
    for (const [i, id] of x.configIds.entries()) {
      const other = x.configIds[(i + 3) % x.configIds.length]!
      const next = await org.updateKey(key.id, { storageConfig: id, webhookConfig: other })
      expect([next.storageConfig, next.webhookConfig]).toEqual([id, other])
      expect(await org.getKey(key.id)).toEqual(next)
      defaults = await org.updateOrganisation({ storageConfig: other, webhookConfig: id })
      expect([defaults.storageConfig, defaults.webhookConfig]).toEqual([other, id])
      expect(await admin.getOrganisation(orgId)).toEqual(defaults)
    }
    // Cleared on the key, each falls back to the organisation's default, type and all.
    const cleared = await org.updateKey(key.id, { storageConfig: null, webhookConfig: null })
    expect(await org.resolveConfig(key.id)).toMatchObject({
      storageConfig: { value: defaults.storageConfig },
      webhookConfig: { value: defaults.webhookConfig },
    })
    await reads(cleared, token)
    await kc.close()
  })

  test('keeps extreme values exactly through the port', async ({ store }) => {
    const organisation = newOrganisation(
      { storageConfig: x.configIds[2]!, webhookConfig: x.configIds[0]!, config: {} },
      newId('org', T0, randomBytes(16)),
      x.admin,
      T0,
    )
    const key = keyRecord({
      organisation: organisation.id,
      name: name0,
      description: description0,
      storageConfig: x.configIds[1]!,
      webhookConfig: Number.MIN_SAFE_INTEGER,
      permissions: x.permissions,
      metadata: metadata0,
      modifiedBy: `admin:${x.admin.id}`,
    })
    expect(await store.insertOrganisation(organisation, key)).toBe(true)
    expect(await store.getKeyWithOrganisation(key.id)).toEqual({ key, organisation })

    let current = key
    let currentOrg: Organisation = organisation
    for (const [i, id] of x.configIds.entries()) {
      const next: KeyRecord = {
        ...current,
        name: x.names[i % x.names.length]!,
        description: x.descriptions[i % x.descriptions.length]!,
        storageConfig: id,
        webhookConfig: x.configIds[(i + 5) % x.configIds.length]!,
        metadata: x.metadata[i % x.metadata.length]!,
        version: current.version + 1,
        modifiedAt: current.modifiedAt + 1,
      }
      expect(await store.updateKey(next, current.version)).toBe(true)
      expect((await store.getKeyWithOrganisation(key.id))?.key).toEqual(next)
      current = next
      const nextOrg = { ...currentOrg, webhookConfig: id, version: currentOrg.version + 1 }
      expect(await store.updateOrganisation(nextOrg, currentOrg.version)).toBe(true)
      expect(await store.getOrganisation(organisation.id)).toEqual(nextOrg)
      currentOrg = nextOrg
    }
    const listed = await store.listKeys({ organisation: organisation.id, order: 'asc', limit: 10 })
    expect(listed).toEqual([current])
    const second = keyRecord({ organisation: organisation.id, name: name1, metadata: metadata1 })
    expect(await store.insertKey(second)).toBe(true)
    expect((await store.getKeyWithOrganisation(second.id))?.key).toEqual(second)
  })

  test('looks IDs up exactly: no case folding, no trailing space ignored', async ({ store }) => {
    const key = keyRecord()
    const organisation = newOrganisation({}, key.organisation, x.admin, T0)
    expect(await store.insertOrganisation(organisation, key)).toBe(true)
    for (const id of [key.id.toLowerCase(), `${key.id} `, key.id.replace('key_', 'KEY_')]) {
      expect(await store.getKeyWithOrganisation(id)).toBeNull()
    }
    for (const id of [organisation.id.toLowerCase(), `${organisation.id} `]) {
      expect(await store.getOrganisation(id)).toBeNull()
      expect(await store.listKeys({ organisation: id, order: 'asc', limit: 10 })).toEqual([])
    }
    expect((await store.getKeyWithOrganisation(key.id))?.key).toEqual(key)
  })
}
