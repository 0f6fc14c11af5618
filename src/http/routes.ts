import { invalidInput, KeycycleError } from '../core/errors'
import type { Actor } from '../core/types'
import { readEnum, readObject } from '../core/validate'
import { OPENAPI_PATH, servedDocument } from '../openapi'
import type { ActorHandle } from '../service/handle'
import type { Keycycle } from '../service/keycycle'
import { type Authenticator, authenticator } from './authenticate'
import { readCredential } from './credentials'
import { errorResponse, faultResponse } from './error-responses'
import type { Caller, HttpRequest, HttpResponse, RouterOptions } from './http-types'
import {
  createKeyFromWire,
  deactivateOptionsFromWire,
  keyPatchFromWire,
  listQueryFromWire,
  noOptionsFromWire,
  organisationPatchFromWire,
  rotateOptionsFromWire,
  usageQueryFromWire,
} from './wire-in'
import {
  presentEffectiveConfig,
  presentKey,
  presentKeyUsage,
  presentList,
  presentNcpApiKey,
  presentOrganisation,
} from './wire-out'

type Handler = (
  handle: ActorHandle,
  request: HttpRequest,
  caller: Caller,
  id: string,
  options: RouterOptions,
) => Promise<HttpResponse>

const ok = (body: unknown, status = 200): HttpResponse => ({ status, headers: {}, body })

// The organisation a request acts for: named explicitly (admins), or the key's own.
function scope(caller: Caller, named: string | undefined): { organisation?: string } {
  const organisation = named ?? caller.organisation
  return organisation === null || organisation === undefined ? {} : { organisation }
}

const STATE_CALLS = {
  activate: (h: ActorHandle, id: string) => h.activateKey(id),
  block: (h: ActorHandle, id: string) => h.blockKey(id),
  unblock: (h: ActorHandle, id: string) => h.unblockKey(id),
}

const ROUTES: { pattern: RegExp; methods: Record<string, Handler> }[] = [
  {
    pattern: /^\/keys$/,
    methods: {
      GET: async (h, req, caller) => {
        const query = listQueryFromWire(req.query)
        const page = await h.listKeys({ ...query, ...scope(caller, query.organisation) })
        return ok(presentList(page, '/keys'))
      },
      POST: async (h, req, caller) => {
        const input = createKeyFromWire(await req.body())
        const created = await h.createKey({ ...input, ...scope(caller, input.organisation) })
        return ok(presentKey(created.key, created.token), 201)
      },
    },
  },
  {
    pattern: /^\/keys\/([^/]+)$/,
    methods: {
      GET: async (h, _req, _caller, id) => ok(presentKey(await h.getKey(id))),
      POST: async (h, req, _caller, id) =>
        ok(presentKey(await h.updateKey(id, keyPatchFromWire(await req.body())))),
      // Stripe's shape for a deleted object: its ID, its type, and `deleted: true`.
      DELETE: async (h, req, _caller, id) => {
        const deleted = await h.deleteKey(id, deactivateOptionsFromWire(await req.body()))
        return ok({ id: deleted.id, resource: 'key', deleted: true })
      },
    },
  },
  {
    pattern: /^\/keys\/([^/]+)\/rotate$/,
    methods: {
      POST: async (h, req, _caller, id) => {
        const rotated = await h.rotateKey(id, rotateOptionsFromWire(await req.body()))
        return ok(presentKey(rotated.key, rotated.token))
      },
    },
  },
  {
    pattern: /^\/keys\/([^/]+)\/deactivate$/,
    methods: {
      POST: async (h, req, _caller, id) =>
        ok(presentKey(await h.deactivateKey(id, deactivateOptionsFromWire(await req.body())))),
    },
  },
  ...(Object.keys(STATE_CALLS) as (keyof typeof STATE_CALLS)[]).map((action) => ({
    pattern: new RegExp(`^/keys/([^/]+)/${action}$`),
    methods: {
      POST: (async (h, req, _caller, id) => {
        noOptionsFromWire(await req.body())
        return ok(presentKey(await STATE_CALLS[action](h, id)))
      }) as Handler,
    },
  })),
  {
    pattern: /^\/keys\/([^/]+)\/config$/,
    methods: {
      GET: async (h, _req, _caller, id) =>
        ok(presentEffectiveConfig(id, await h.resolveConfig(id))),
    },
  },
  {
    pattern: /^\/keys\/([^/]+)\/usage$/,
    methods: {
      GET: async (h, req, _caller, id) =>
        ok(presentKeyUsage(await h.getKeyUsage(id, usageQueryFromWire(req.query)))),
    },
  },
  {
    pattern: /^\/key$/,
    methods: {
      GET: async (h, _req, caller) => {
        if (caller.keyId === null)
          throw invalidInput('authorization', 'this request presents no key')
        return ok(presentKey(await h.getKey(caller.keyId)))
      },
    },
  },
  {
    pattern: /^\/organisation$/,
    methods: {
      GET: async (h, req, caller) => {
        const { organisation } = scope(caller, req.query.get('organisation') ?? undefined)
        return ok(presentOrganisation(await h.getOrganisation(organisation)))
      },
      POST: async (h, req, caller) => {
        const patch = organisationPatchFromWire(await req.body())
        const { organisation } = scope(caller, req.query.get('organisation') ?? undefined)
        const updated =
          organisation === undefined
            ? await h.updateOrganisation(patch)
            : await h.updateOrganisation(organisation, patch)
        return ok(presentOrganisation(updated))
      },
    },
  },
  {
    pattern: /^\/api-keys\/([^/]+)$/,
    methods: {
      PATCH: async (h, req, _caller, id, options) => {
        const body = readObject((await req.body()) ?? {}, 'input', ['keyType'])
        const keyType = readEnum(body.keyType, 'keyType', ['PRIMARY', 'SECONDARY'] as const)
        const slot = keyType === 'PRIMARY' ? 'primary' : 'secondary'
        const { key, token } = await h.regenerateKey(id, slot)
        return ok(presentNcpApiKey(key, slot, token, options.domainCode ?? 'PUB'))
      },
    },
  },
]

/** The route table as path patterns and methods, for the OpenAPI document. */
export function routeTable(): { pattern: RegExp; methods: string[] }[] {
  return ROUTES.map((route) => ({ pattern: route.pattern, methods: Object.keys(route.methods) }))
}

/**
 * The paths the router owns, each a path and whether everything below it is owned too: a
 * request to any of them, with any method, is authenticated before anything else is looked
 * at, whether or not a route matches it. Hosts that register routes (Fastify) register these.
 */
export const SERVED_PATHS: readonly { path: string; subtree: boolean }[] = [
  { path: '/keys', subtree: true },
  { path: '/key', subtree: false },
  { path: '/organisation', subtree: false },
  { path: '/api-keys', subtree: true },
]

const SERVED = new RegExp(
  `^(?:${SERVED_PATHS.map(({ path, subtree }) => (subtree ? `${path}(?:/.*)?` : path)).join('|')})$`,
)

// GET only reads; every other method in the table changes a key or the organisation, which a
// retiring token may not do: a leaked token must not outlive the rotation that replaced it.
const READS = new Set(['GET'])

// Management spends nothing: a key manages itself (reads its balance, rotates) whatever its
// credits and limits. Its address is checked all the same. Prepared once per router's options.
const MANAGEMENT_COST = 0
const authenticators = new WeakMap<Keycycle, WeakMap<RouterOptions, Authenticator>>()

/**
 * The authenticator `keysRouter` verifies keys with (cost 0, the router's credential and
 * address options), prepared on first use and kept per service and options object. Hosts call
 * it when a router is built, so bad options (`trustProxy`) throw there, not on a request.
 */
export function managementAuthenticator(kc: Keycycle, options: RouterOptions): Authenticator {
  let byOptions = authenticators.get(kc)
  if (byOptions === undefined) {
    byOptions = new WeakMap()
    authenticators.set(kc, byOptions)
  }
  let prepared = byOptions.get(options)
  if (prepared === undefined) {
    const { schemes, apiKeyHeaders, realm, trustProxy } = options
    prepared = authenticator(kc, {
      ...(schemes === undefined ? {} : { schemes }),
      ...(apiKeyHeaders === undefined ? {} : { apiKeyHeaders }),
      ...(realm === undefined ? {} : { realm }),
      ...(trustProxy === undefined ? {} : { trustProxy }),
      cost: MANAGEMENT_COST,
    })
    byOptions.set(options, prepared)
  }
  return prepared
}

type Identified = { caller: Caller; headers: Record<string, string> } | { response: HttpResponse }

async function identify(
  kc: Keycycle,
  request: HttpRequest,
  options: RouterOptions,
): Promise<Identified> {
  const admin = options.isAdmin ? await options.isAdmin(request.raw) : false
  const adminActor: Actor | null =
    admin === false ? null : { kind: 'admin', id: admin === true ? 'admin' : admin }
  if (adminActor && readCredential(request.headers, options).kind === 'missing') {
    const caller = { actor: adminActor, organisation: null, keyId: null, retiring: false }
    return { caller, headers: {} }
  }
  const auth = await managementAuthenticator(
    kc,
    options,
  )({
    method: request.method,
    target: request.target,
    headers: request.headers,
    peer: request.peer,
  })
  if (!auth.ok) return { response: auth.response }
  const { key, rotating } = auth.result
  const actor: Actor = adminActor ?? { kind: 'organisation', id: key.organisation }
  const caller = { actor, organisation: key.organisation, keyId: key.id, retiring: rotating }
  return { caller, headers: auth.headers }
}

async function dispatch(
  kc: Keycycle,
  request: HttpRequest,
  path: string,
  caller: Caller,
  options: RouterOptions,
): Promise<HttpResponse> {
  const route = ROUTES.find((r) => r.pattern.test(path))
  if (!route) return errorResponse('not_found', 'no such resource')
  const method = request.method.toUpperCase()
  const handler = route.methods[method]
  if (!handler) {
    const allow = Object.keys(route.methods).join(', ')
    return errorResponse('method_not_allowed', `use ${allow}`, {}, { allow })
  }
  if (caller.retiring && !READS.has(method)) {
    throw new KeycycleError(
      'retiring_token',
      'this token is retiring: it may read, but changes need the current token',
    )
  }
  // IDs are the service's to judge: unknown, malformed and foreign ones are all `not_found`.
  const id = route.pattern.exec(path)?.[1] ?? ''
  return handler(kc.as(caller.actor), request, caller, id, options)
}

/**
 * Handles one management request (`docs/http-hosts.md#keysrouter`), or returns null when the path is not one of the
 * router's (`/keys…`, `/key`, `/organisation`, `/api-keys…`), so the framework passes it on.
 * Authenticates first: without one usable credential (or `isAdmin`) every such request gets
 * the same 401, whatever its method or subpath; a refused key its 403, a store fault 503.
 * Then an unknown subpath is 404, a method the route lacks 405, and a write with a retiring
 * token 403 `retiring_token`. Every fault becomes a JSON error response.
 */
export async function handleManagement(
  kc: Keycycle,
  request: HttpRequest,
  options: RouterOptions = {},
): Promise<HttpResponse | null> {
  const path = request.path.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1')
  // The document describes the API and holds no data: served without a credential, when asked.
  if (options.openapi && path === OPENAPI_PATH && request.method.toUpperCase() === 'GET') {
    return ok(servedDocument(routeTable(), options))
  }
  if (!SERVED.test(path)) return null
  let identified: Identified
  try {
    identified = await identify(kc, request, options)
  } catch (error) {
    return faultResponse(error)
  }
  if ('response' in identified) return identified.response
  let response: HttpResponse
  try {
    response = await dispatch(kc, request, path, identified.caller, options)
  } catch (error) {
    response = faultResponse(error)
  }
  return { ...response, headers: { ...identified.headers, ...response.headers } }
}
