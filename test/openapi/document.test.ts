import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Validator } from '@seriousme/openapi-schema-validator'
import { describe, expect, it } from 'vitest'
import { memoryStore } from '../../adapters/memory'
import { createKeycycle } from '../../src'
import { KEY_FIELDS, ORGANISATION_FIELDS, writableNames } from '../../src/core/schema'
import type { HttpRequest } from '../../src/http/http-types'
import { handleManagement, routeTable } from '../../src/http/routes'
import { openApiDocument, pathTemplate } from '../../src/openapi'
import { scalarSchema } from '../../src/openapi/json-schema'
import { OPERATIONS } from '../../src/openapi/operations'

const ROOT = join(import.meta.dirname, '../..')
const document = openApiDocument(routeTable())
type Schemas = Record<
  string,
  { properties: Record<string, Record<string, unknown>>; required?: string[] }
>
const schemas = (document.components as { schemas: Schemas }).schemas

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document (@seriousme/openapi-schema-validator)', async () => {
    const validator = new Validator()
    const result = await validator.validate(structuredClone(document))
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 2)).toEqual([])
    expect(result.valid).toBe(true)
    expect(validator.version).toBe('3.1')
  })

  it('passes Redocly CLI lint with the recommended-strict rules', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keycycle-openapi-'))
    try {
      const file = join(dir, 'openapi.json')
      writeFileSync(file, JSON.stringify(document))
      const cli = join(ROOT, 'node_modules/@redocly/cli/bin/cli.js')
      const config = join(import.meta.dirname, 'redocly.yaml')
      const run = promisify(execFile)
      const env = {
        ...process.env,
        REDOCLY_TELEMETRY: 'off',
        REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
      }
      const result = await run(process.execPath, [cli, 'lint', file, '--config', config], { env })
        .then(({ stdout, stderr }) => ({ ok: true, output: stdout + stderr }))
        .catch((error: { stdout: string; stderr: string }) => ({
          ok: false,
          output: error.stdout + error.stderr,
        }))
      expect(result.ok, result.output).toBe(true)
      expect(result.output).toContain('Your API description is valid')
      expect(result.output).not.toMatch(/You have \d+ warning/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('describes every route of the route table, and nothing the router does not serve', () => {
    const routed = routeTable().flatMap(({ pattern, methods }) =>
      methods.map((method) => `${method} ${pathTemplate(pattern)}`),
    )
    const undescribed = routed.filter((operation) => OPERATIONS[operation] === undefined)
    expect(undescribed, 'routes without a description in src/openapi/operations.ts').toEqual([])
    expect(Object.keys(OPERATIONS).sort()).toEqual([...routed].sort())
    const paths = document.paths as Record<string, Record<string, unknown>>
    const documented = Object.entries(paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    )
    expect(documented.sort()).toEqual([...routed, 'GET /openapi.json'].sort())
  })

  it('takes request fields from the field schema: create and update differ, admin-only noted', () => {
    const wire = (
      schema: typeof KEY_FIELDS | typeof ORGANISATION_FIELDS,
      mode: 'create' | 'patch',
    ) => writableNames(schema, mode).map((name) => schema[name as keyof typeof schema].wire)
    expect(Object.keys(schemas.CreateKeyRequest!.properties)).toEqual(wire(KEY_FIELDS, 'create'))
    expect(Object.keys(schemas.UpdateKeyRequest!.properties)).toEqual(wire(KEY_FIELDS, 'patch'))
    expect(Object.keys(schemas.UpdateOrganisationRequest!.properties)).toEqual(
      wire(ORGANISATION_FIELDS, 'patch'),
    )
    const create = schemas.CreateKeyRequest!.properties
    expect(create.type).toMatchObject({ enum: ['standard', 'trial'] })
    expect(create.type!.description).toContain('Admin only')
    expect(create.date_expires).toMatchObject({ type: ['string', 'null'], format: 'date-time' })
    expect(create.storage_config).toMatchObject({
      type: ['string', 'integer', 'null'],
      minLength: 1,
      maxLength: 255,
    })
    expect(create.name!.description).not.toContain('Admin only')
    expect(schemas.CreateKeyRequest).toMatchObject({ additionalProperties: false })
  })

  it('takes response fields from the field schema: every wire name, read-only marked', () => {
    const key = schemas.Key!
    const names = Object.values(KEY_FIELDS).map((field) => field.wire)
    expect(Object.keys(key.properties)).toEqual(['id', 'resource', ...names.slice(1)])
    expect(key.required).toEqual(expect.arrayContaining(names))
    expect(key.properties.id).toMatchObject({ readOnly: true })
    expect(key.properties.state).toMatchObject({ readOnly: true })
    expect(key.properties.name).not.toHaveProperty('readOnly')
    expect(key.properties.secondary).toMatchObject({ type: ['object', 'null'] })
    expect(schemas.KeyWithToken!.required).toContain('token')
    expect(Object.keys(schemas.Organisation!.properties)).not.toContain('key')
  })

  it('states usage control: lists of records, nested records, bounds, defaults, admin only', () => {
    const update = schemas.UpdateKeyRequest!.properties
    expect(update.rate_limits).toMatchObject({
      type: ['array', 'null'],
      maxItems: 8,
      items: {
        type: 'object',
        required: ['name', 'limit', 'window_ms'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', pattern: '^[a-z0-9_-]{1,32}$' },
          limit: { type: 'integer', minimum: 1, maximum: 1_000_000 },
          window_ms: { type: 'integer', minimum: 1000, maximum: 86_400_000 },
          scope: { enum: ['key', 'organisation'], default: 'key' },
        },
      },
    })
    expect(update.rate_limits!.description).toContain('Admin only')
    // In an update, credits merge member by member; a refill is given whole.
    expect(update.credits).toMatchObject({
      type: ['object', 'null'],
      properties: {
        remaining: { type: 'integer', minimum: 0, maximum: 1e12 },
        refill: { type: ['object', 'null'], required: ['amount', 'interval_ms'] },
      },
    })
    expect(update.credits).not.toHaveProperty('required')
    expect(update.allowed_ips).toMatchObject({
      type: ['array', 'null'],
      minItems: 1,
      maxItems: 64,
      items: { type: 'string' },
    })
    const key = schemas.Key!.properties
    expect(key.rate_limits).toMatchObject({
      type: ['array', 'null'],
      items: { required: ['name', 'limit', 'window_ms', 'scope'] },
    })
    expect(key.credits).toMatchObject({ required: ['remaining', 'refill'] })
    expect(schemas.UpdateOrganisationRequest!.properties).toHaveProperty('rate_limits')
    expect(schemas.UpdateOrganisationRequest!.properties).not.toHaveProperty('credits')
    const effective = schemas.EffectiveConfig!.properties
    expect(effective.rate_limits).toMatchObject({
      properties: {
        value: { type: 'array' },
        source: { enum: ['key', 'organisation', 'default'] },
      },
    })
    expect(effective.allowed_ips).toMatchObject({
      properties: { value: { type: ['array', 'null'] } },
    })
    // NCP's object keeps NCP's shape.
    const ncp = (schemas.NcpApiKeyResponse!.properties.apiKey as { properties: object }).properties
    expect(Object.keys(ncp)).not.toEqual(expect.arrayContaining(['rateLimits']))
  })

  it('refuses a field type it cannot state, rather than leaving it out', () => {
    expect(() => scalarSchema('a duck', false, 'duck')).toThrow(/duck: no JSON Schema/)
  })

  it('is built into dist/ and exported as keycycle/openapi.json, identical to the generated one', async () => {
    const require = createRequire(import.meta.url)
    const file = require.resolve('keycycle/openapi.json')
    expect(file).toBe(join(ROOT, 'dist/openapi.json'))
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(document)
    // A computed specifier: the type check runs before dist/ exists.
    const specifier = 'keycycle/openapi.json'
    const imported = await import(specifier, { with: { type: 'json' } })
    expect(imported.default).toEqual(document)
  })
})

describe('GET /openapi.json on the router', () => {
  const kc = createKeycycle({ store: memoryStore() })
  const get = (path: string): HttpRequest => ({
    method: 'GET',
    path,
    target: path,
    query: new URLSearchParams(),
    headers: {},
    body: async () => undefined,
    raw: null,
  })

  it('is not served unless the openapi option is on: the path goes on to the host', async () => {
    expect(await handleManagement(kc, get('/openapi.json'))).toBeNull()
    expect(await handleManagement(kc, get('/openapi.json'), { openapi: false })).toBeNull()
  })

  it('is served without a credential, describing the credentials this router accepts', async () => {
    const options = { openapi: true, apiKeyHeaders: ['X-Key'], schemes: ['Bearer'] }
    const response = await handleManagement(kc, get('/openapi.json'), options)
    expect(response?.status).toBe(200)
    const served = response?.body as { components: { securitySchemes: object }; security: object }
    expect(served.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      xKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-Key' }),
    })
    expect(served.security).toEqual([{ bearer: [] }, { xKey: [] }])
  })

  it('states the default credentials: Token and Bearer, X-API-Key and the NCP header', () => {
    const security = document.components as { securitySchemes: Record<string, { name?: string }> }
    expect(Object.keys(security.securitySchemes)).toEqual([
      'token',
      'bearer',
      'xApiKey',
      'xNcpApigwApiKey',
    ])
    expect(security.securitySchemes.xNcpApigwApiKey!.name).toBe('x-ncp-apigw-api-key')
  })
})
