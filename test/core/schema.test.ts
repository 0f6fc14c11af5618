import { describe, expect, it } from 'vitest'
import { ADMIN } from '../../src/conformance/fixtures'
import { KeycycleError } from '../../src/core/errors'
import { parseActor } from '../../src/core/inputs'
import {
  inputFromWire,
  KEY_FIELDS,
  MAX_CONFIG_ID_JSON_LENGTH,
  MAX_CONFIG_ID_LENGTH,
  MAX_DESCRIPTION_LENGTH,
  MAX_NAME_LENGTH,
  ORGANISATION_FIELDS,
  parseInput,
  type Schema,
  text,
  toWire,
  unstorable,
  wirePath,
} from '../../src/core/schema'
import { fieldTable } from '../../src/core/schema/docs'
import type { Actor } from '../../src/core/types'
import { fieldTableFiles, renderFieldTables } from '../helpers/field-tables'
import { readDoc } from '../helpers/markdown'

const admin = ADMIN
const owner: Actor = { kind: 'organisation', id: 'org_01JD8X3YQ0V6N2M4K7P9R1S3T5' }

function caught(run: () => unknown): KeycycleError {
  try {
    run()
  } catch (error) {
    if (error instanceof KeycycleError) return error
    throw error
  }
  throw new Error('did not throw')
}

describe('the field schema is the single source', () => {
  // A field that exists only in this test: one declaration, no other edit.
  const EXTENDED = {
    ...KEY_FIELDS,
    colour: {
      wire: 'colour_code',
      doc: 'A colour for the dashboard.',
      create: true,
      patch: true,
      admin: true,
      nullable: true,
      ...text(7),
    },
  } as const satisfies Schema

  it('validates it: bad values name the domain field, admin-only is enforced, null clears', () => {
    const tooLong = caught(() => parseInput(EXTENDED, { colour: '#1234567' }, 'create', admin))
    expect(tooLong).toMatchObject({ code: 'validation', details: { field: 'colour' } })
    const notAdmin = caught(() => parseInput(EXTENDED, { colour: '#fff' }, 'patch', owner))
    expect(notAdmin).toMatchObject({ code: 'forbidden', details: { field: 'colour' } })
    expect(parseInput(EXTENDED, { colour: null }, 'patch', admin)).toEqual({ colour: null })
    expect(parseInput(EXTENDED, { colour: '#fff' }, 'create', admin)).toEqual({ colour: '#fff' })
  })

  it('reads it from the wire and writes it to the wire under its wire name', () => {
    expect(inputFromWire(EXTENDED, { colour_code: '#fff' }, 'patch')).toEqual({ colour: '#fff' })
    const wrongName = caught(() => inputFromWire(EXTENDED, { colour: '#fff' }, 'patch'))
    expect(wrongName).toMatchObject({ code: 'validation', details: { field: 'colour' } })
    expect(toWire(EXTENDED, { colour: '#fff' })).toEqual({ colour_code: '#fff' })
  })

  it('names it by its wire name in error params and documents it', () => {
    expect(wirePath(EXTENDED, 'colour')).toBe('colour_code')
    expect(fieldTable(EXTENDED)).toContain(
      '| `colour` | `colour_code` |  | string (1–7) \\| null | create, update (admin only) | A colour for the dashboard. |',
    )
  })
})

describe('a list of records is declared once too', () => {
  // A list that exists only in this test: one declaration, no other edit.
  const LISTED = {
    ...KEY_FIELDS,
    swatches: {
      wire: 'swatch_list',
      doc: 'Named colours.',
      type: 'swatch[] (≤ 2)',
      create: true,
      patch: true,
      nullable: true,
      maxItems: 2,
      items: {
        label: {
          wire: 'label',
          doc: 'Its name.',
          create: true,
          patch: true,
          required: true,
          ...text(10),
        },
        hexCode: {
          wire: 'hex_code',
          doc: 'Its colour.',
          create: true,
          patch: true,
          default: '#000',
          ...text(7),
        },
      },
    },
  } as const satisfies Schema

  it('validates each item, names it by its index, applies defaults and the bound', () => {
    const parsed = parseInput(
      LISTED,
      { swatches: [{ label: 'sky', hexCode: '#0af' }, { label: 'ink' }] },
      'patch',
      owner,
    )
    expect(parsed).toEqual({
      swatches: [
        { label: 'sky', hexCode: '#0af' },
        { label: 'ink', hexCode: '#000' },
      ],
    })
    const bad = caught(() =>
      parseInput(
        LISTED,
        { swatches: [{ label: 'a' }, { label: 'b', hexCode: '#12345678' }] },
        'create',
        owner,
      ),
    )
    expect(bad).toMatchObject({ code: 'validation', details: { field: 'swatches[1].hexCode' } })
    expect(wirePath(LISTED, bad.details.field!)).toBe('swatch_list[1].hex_code')
    const missing = caught(() =>
      parseInput(LISTED, { swatches: [{ hexCode: '#fff' }] }, 'patch', owner),
    )
    expect(missing).toMatchObject({ details: { field: 'swatches[0].label' } })
    const long = caught(() =>
      parseInput(
        LISTED,
        { swatches: [{ label: 'a' }, { label: 'b' }, { label: 'c' }] },
        'patch',
        owner,
      ),
    )
    expect(long).toMatchObject({ details: { field: 'swatches' } })
    expect(parseInput(LISTED, { swatches: null }, 'patch', owner)).toEqual({ swatches: null })
  })

  it('reads and writes each item in wire spelling', () => {
    expect(
      inputFromWire(LISTED, { swatch_list: [{ label: 'sky', hex_code: '#0af' }] }, 'patch'),
    ).toEqual({
      swatches: [{ label: 'sky', hexCode: '#0af' }],
    })
    const unknown = caught(() =>
      inputFromWire(LISTED, { swatch_list: [{ label: 'a', hexCode: '#fff' }] }, 'patch'),
    )
    expect(unknown).toMatchObject({ details: { field: 'swatch_list[0].hexCode' } })
    expect(toWire(LISTED, { swatches: [{ label: 'sky', hexCode: '#0af' }] })).toEqual({
      swatch_list: [{ label: 'sky', hex_code: '#0af' }],
    })
  })

  it('documents each item’s fields under the list, with what is required and what defaults', () => {
    const table = fieldTable(LISTED)
    expect(table).toContain(
      '| `swatches` | `swatch_list` |  | swatch[] (≤ 2) \\| null | create, update | Named colours. |',
    )
    expect(table).toContain(
      '| `swatches[].label` | `swatch_list[].label` |  | string (1–10); required | create, update | Its name. |',
    )
    expect(table).toContain(
      '| `swatches[].hexCode` | `swatch_list[].hex_code` |  | string (1–7); default `#000` | create, update | Its colour. |',
    )
  })
})

describe('key fields', () => {
  it('translate nested and indexed error paths to wire names', () => {
    expect(wirePath(KEY_FIELDS, 'expiresAt')).toBe('date_expires')
    expect(wirePath(KEY_FIELDS, 'config.publishSourceFiles')).toBe('config.publish_source_files')
    expect(wirePath(KEY_FIELDS, 'permissions[3]')).toBe('permissions[3]')
    expect(wirePath(KEY_FIELDS, 'storageConfig')).toBe('storage_config')
    expect(wirePath(KEY_FIELDS, 'nonsense.deep')).toBe('nonsense.deep')
  })

  it('decode ISO dates on the way in and name a bad one by its wire name', () => {
    expect(
      inputFromWire(KEY_FIELDS, { date_expires: '2030-01-01T00:00:00+01:00' }, 'patch'),
    ).toEqual({ expiresAt: Date.UTC(2029, 11, 31, 23) })
    const bad = caught(() => inputFromWire(KEY_FIELDS, { date_expires: 'tomorrow' }, 'patch'))
    expect(bad).toMatchObject({ code: 'validation', details: { field: 'date_expires' } })
  })

  it('refuse fields an update may not set, by wire name', () => {
    for (const field of ['type', 'organisation', 'id', 'version', 'date_created', 'token']) {
      expect(caught(() => inputFromWire(KEY_FIELDS, { [field]: 'x' }, 'patch'))).toMatchObject({
        code: 'validation',
        details: { field },
      })
    }
  })

  it('accept a null body as an empty one (ricloud-py sends null)', () => {
    expect(inputFromWire(KEY_FIELDS, null, 'patch')).toEqual({})
  })
})

describe('values every store can hold', () => {
  const strings = {
    name: MAX_NAME_LENGTH,
    description: MAX_DESCRIPTION_LENGTH,
    storageConfig: MAX_CONFIG_ID_LENGTH,
    webhookConfig: MAX_CONFIG_ID_LENGTH,
  }
  // Every character but U+0000 and lone surrogates: controls, quotes, backslashes, non-BMP.
  const hostile = '\t\n\r\u0001\u001f\u007f\u0085"\\\'\u2028\ufeff\uffff𝒳🔑'

  it('keeps every other character, at the longest length, exactly', () => {
    for (const [name, max] of Object.entries(strings)) {
      const value = `${hostile.repeat(max).slice(0, max - 2)}🔑`
      expect(value).toHaveLength(max)
      expect(parseInput(KEY_FIELDS, { [name]: value }, 'create', admin)).toEqual({ [name]: value })
      const over = caught(() => parseInput(KEY_FIELDS, { [name]: `${value}x` }, 'patch', admin))
      expect(over).toMatchObject({ code: 'validation', details: { field: name } })
    }
  })

  it('refuses U+0000 and lone surrogates in every string, naming the field by its wire name', () => {
    for (const bad of ['a\u0000b', '\u0000', 'a\ud800', '\udc00a', '\udfff\ud800', '🔑'.slice(1)]) {
      for (const [wire, domain] of [
        ['name', 'name'],
        ['description', 'description'],
        ['storage_config', 'storageConfig'],
        ['webhook_config', 'webhookConfig'],
      ] as const) {
        const domainInput = inputFromWire(KEY_FIELDS, { [wire]: bad }, 'patch')
        const error = caught(() => parseInput(KEY_FIELDS, domainInput, 'patch', owner))
        expect(error).toMatchObject({ code: 'validation', details: { field: domain } })
        expect(wirePath(KEY_FIELDS, error.details.field!)).toBe(wire)
        expect(error.message).not.toContain(bad)
      }
      const key = caught(() =>
        parseInput(ORGANISATION_FIELDS, { key: { name: bad } }, 'create', null),
      )
      expect(key).toMatchObject({ code: 'validation', details: { field: 'key.name' } })
      expect(caught(() => parseActor({ kind: 'admin', id: `ops${bad}` }))).toMatchObject({
        code: 'validation',
        details: { field: 'actor.id' },
      })
    }
    expect(unstorable('\ud83d\udd11 \u0001 \u007f')).toBeNull()
    expect(unstorable('ab\u0000')).toContain('index 2')
    expect(unstorable('ab\udd11')).toContain('lone UTF-16 surrogate')
  })

  it('refuses them in metadata strings and keys, at any depth, without echoing the key', () => {
    const cases: [unknown, string][] = [
      [{ a: 'x\u0000' }, 'metadata.a'],
      [{ a: ['ok', '\ud800'] }, 'metadata.a[1]'],
      [{ 'k\u0000': 1 }, 'metadata'],
      [{ a: { 'k\udc00': 1 } }, 'metadata.a'],
    ]
    for (const [metadata, field] of cases) {
      const error = caught(() => parseInput(KEY_FIELDS, { metadata }, 'create', owner))
      expect(error).toMatchObject({ code: 'validation', details: { field } })
      expect(unstorable(error.message)).toBeNull()
    }
    const kept = { [hostile]: hostile, nested: [{ '🔑': '\u0001' }], n: -1.5e-300 }
    expect(parseInput(KEY_FIELDS, { metadata: kept }, 'create', owner)).toEqual({ metadata: kept })
  })

  it('reads -0 as the config ID 0, which is what JSON stores give back', () => {
    const parsed = parseInput(KEY_FIELDS, { storageConfig: -0 }, 'create', owner)
    expect(Object.is(parsed.storageConfig, 0)).toBe(true)
    expect(MAX_CONFIG_ID_JSON_LENGTH).toBe(
      JSON.stringify('\u0001'.repeat(MAX_CONFIG_ID_LENGTH)).length,
    )
  })
})

describe('the documentation', () => {
  it('shows the field tables generated from the schemas (npm run readme:fields)', () => {
    for (const file of fieldTableFiles()) {
      const doc = readDoc(file)
      expect(renderFieldTables(doc), file).toBe(doc)
    }
  })
})
