import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020'
import addFormats from 'ajv-formats'
import { routeTable } from '../../src/http/routes'
import { type OpenApiDocument, openApiDocument } from '../../src/openapi'

/**
 * A response as a test saw it. `path` is the request's path as sent (query string and a mount
 * prefix such as `/api/v1` allowed); `headers` a Fetch `Headers` or a plain record.
 */
export interface SeenResponse {
  method: string
  path: string
  status: number
  headers?: { get(name: string): string | null } | Record<string, unknown>
  body: unknown
}

/** Checks responses against an OpenAPI document and remembers which responses it has checked. */
export interface ResponseValidator {
  /**
   * The problems with `response` (empty when it conforms), or null when its path is not the
   * router's (a host route such as `/whoami`), which the document does not describe.
   */
  problems(response: SeenResponse): string[] | null
  /** Throws, listing every problem, unless `response` conforms (or is not the router's). */
  expectValid(response: SeenResponse): void
  /** `METHOD /template status` of every response checked so far. */
  readonly seen: Set<string>
}

// What the router serves (`docs/http-hosts.md#keysrouter`), beside the document itself.
const ROUTER_PATH = /^\/(?:keys(?:\/.*)?|key|organisation|api-keys(?:\/.*)?|openapi\.json)$/

const pointer = (...parts: string[]) =>
  parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')

function header(response: SeenResponse, name: string): string | null {
  const headers = response.headers
  if (headers === undefined) return null
  if (typeof headers.get === 'function') {
    return (headers as { get(name: string): string | null }).get(name)
  }
  const value = (headers as Record<string, unknown>)[name.toLowerCase()]
  return value === undefined ? null : String(value)
}

type Operation = { responses: Record<string, { $ref?: string; content?: object }> }

/** Options of {@link responseValidator}. */
export interface ValidatorOptions {
  /** Default: the document generated from the source (the package's `openapi.json` is a copy). */
  document?: OpenApiDocument
  /** Mount prefixes stripped before matching. Default `['/api/v1']` (the NCP path style). */
  prefixes?: readonly string[]
  /**
   * Responses the host answered itself rather than keycycle, to leave unchecked: say, what a
   * host's error handler sends for a fault passed to it (`passErrors`). Default: none.
   */
  ignore?: (response: SeenResponse) => boolean
}

/**
 * A validator of the router's responses against the OpenAPI document. To check every response a
 * suite sees, call `expectValid` where its requests are sent:
 *
 * ```ts
 * const validator = responseValidator({ ignore: (r) => r.status === 418 })
 * validator.expectValid(sent)   // throws listing every mismatch
 * ```
 */
export function responseValidator(options: ValidatorOptions = {}): ResponseValidator {
  const document = options.document ?? openApiDocument(routeTable())
  const prefixes = options.prefixes ?? ['/api/v1']
  const ajv = new Ajv2020({ allErrors: true, strict: false })
  addFormats(ajv)
  ajv.addSchema(document, 'openapi.json')
  const compiled = new Map<string, ValidateFunction>()
  const compile = (at: string) => {
    let validate = compiled.get(at)
    if (!validate) {
      validate = ajv.compile({ $ref: `openapi.json#/${at}` })
      compiled.set(at, validate)
    }
    return validate
  }
  const paths = document.paths as Record<string, Record<string, Operation>>
  const templates = Object.keys(paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }))
  const seen = new Set<string>()

  function schemaProblems(at: string, body: unknown): string[] {
    const validate = compile(at)
    if (validate(body)) return []
    return (validate.errors ?? []).map(
      (e) => `${e.instancePath || '(body)'} ${e.message} ${JSON.stringify(e.params)}`,
    )
  }

  function problems(response: SeenResponse): string[] | null {
    let path = response.path
      .split('?')[0]!
      .replace(/\/{2,}/g, '/')
      .replace(/(.)\/$/, '$1')
    for (const prefix of prefixes) {
      if (path.startsWith(`${prefix}/`)) path = path.slice(prefix.length)
    }
    if (!ROUTER_PATH.test(path) || options.ignore?.(response)) return null
    const method = response.method.toUpperCase()
    const where = `${method} ${path} → ${response.status}`
    const error = (code: string) => {
      const found = [...schemaProblems(pointer('components', 'schemas', 'Error'), response.body)]
      const body = response.body as { error?: unknown } | null
      if (body?.error !== code) found.push(`expected error ${code}, got ${JSON.stringify(body)}`)
      return found.map((p) => `${where}: ${p}`)
    }
    const match = templates.find((t) => t.pattern.test(path))
    if (!match) {
      seen.add(`* (unknown path) ${response.status}`)
      // An unknown path under the router's is 404, once authenticated (401 before).
      return response.status === 401 ? error('unauthorized') : error('not_found')
    }
    const operation = paths[match.template]![method.toLowerCase()]
    if (!operation) {
      seen.add(`${method} ${match.template} ${response.status}`)
      if (response.status === 401) return error('unauthorized')
      const out = error('method_not_allowed')
      if (header(response, 'allow') === null) out.push(`${where}: 405 without an Allow header`)
      return out
    }
    seen.add(`${method} ${match.template} ${response.status}`)
    const status = String(response.status)
    const declared = operation.responses[status] ?? operation.responses.default
    if (!declared) return [`${where}: status ${status} is not documented`]
    let at = pointer('paths', match.template, method.toLowerCase(), 'responses', status)
    let answer = declared
    if (declared.$ref) {
      at = declared.$ref.slice(2)
      answer = (
        document.components as Record<string, Record<string, Operation['responses'][string]>>
      ).responses![declared.$ref.split('/').at(-1)!]!
    }
    if (!answer.content) return []
    const type = header(response, 'content-type')
    if (type !== null && !/^application\/json\b/.test(type)) {
      return [`${where}: content type ${type}, documented application/json`]
    }
    return schemaProblems(
      `${at}/${pointer('content', 'application/json', 'schema')}`,
      response.body,
    ).map((p) => `${where}: ${p}`)
  }

  return {
    problems,
    expectValid(response) {
      const found = problems(response)
      if (found && found.length > 0) {
        throw new Error(`response does not match the OpenAPI document:\n${found.join('\n')}`)
      }
    },
    seen,
  }
}

const components = new Map<string, ValidateFunction>()

/**
 * Checks a value against one of the generated document's component schemas (`Key`, `KeyList`,
 * …): the problems, empty when it conforms. The CLI's `--json` output is the API's wire format,
 * so its tests check it here too.
 */
export function componentProblems(name: string, value: unknown): string[] {
  let validate = components.get(name)
  if (!validate) {
    const ajv = new Ajv2020({ allErrors: true, strict: false })
    addFormats(ajv)
    ajv.addSchema(openApiDocument(routeTable()), 'openapi.json')
    validate = ajv.compile({ $ref: `openapi.json#/components/schemas/${name}` })
    components.set(name, validate)
  }
  if (validate(value)) return []
  return (validate.errors ?? []).map((e) => `${name}${e.instancePath} ${e.message}`)
}
