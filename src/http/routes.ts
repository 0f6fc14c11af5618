import { invalidInput } from '../core/errors'
import { isKeyId } from '../core/ids'
import type { CreateKeyInput, KeyPatch, ListKeysQuery } from '../core/inputs'
import type { Actor } from '../core/types'
import { readEnum, readObject } from '../core/validate'
import type { ActorHandle } from '../service/handle'
import type { RotateOptions } from '../service/key-commands'
import type { Keycycle } from '../service/keycycle'
import type { DeactivateOptions } from '../service/state-commands'
import { authenticate } from './authenticate'
import { readCredential } from './credentials'
import { errorResponse, faultResponse } from './status'
import type { Caller, HttpRequest, HttpResponse, RouterOptions } from './types'
import {
  CREATE_FIELDS,
  fromWire,
  listQueryFromWire,
  ORGANISATION_FIELDS,
  UPDATE_FIELDS,
} from './wire-in'
import {
  presentEffectiveConfig,
  presentKey,
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
function scope(caller: Caller, named: unknown): { organisation?: unknown } {
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
        const { organisation, rest } = listQueryFromWire(req.query)
        const page = await h.listKeys({ ...rest, ...scope(caller, organisation) } as ListKeysQuery)
        return ok(presentList(page, '/keys'))
      },
      POST: async (h, req, caller) => {
        const input = fromWire(await req.body(), CREATE_FIELDS)
        const created = await h.createKey({
          ...input,
          ...scope(caller, input.organisation),
        } as CreateKeyInput)
        return ok(presentKey(created.key, created.token), 201)
      },
    },
  },
  {
    pattern: /^\/keys\/([^/]+)$/,
    methods: {
      GET: async (h, _req, _caller, id) => ok(presentKey(await h.getKey(id))),
      POST: async (h, req, _caller, id) =>
        ok(
          presentKey(await h.updateKey(id, fromWire(await req.body(), UPDATE_FIELDS) as KeyPatch)),
        ),
    },
  },
  {
    pattern: /^\/keys\/([^/]+)\/rotate$/,
    methods: {
      POST: async (h, req, _caller, id) => {
        const rotated = await h.rotateKey(
          id,
          fromWire(await req.body(), ['force', 'slot']) as RotateOptions,
        )
        return ok(presentKey(rotated.key, rotated.token))
      },
    },
  },
  {
    pattern: /^\/keys\/([^/]+)\/deactivate$/,
    methods: {
      POST: async (h, req, _caller, id) =>
        ok(
          presentKey(
            await h.deactivateKey(
              id,
              fromWire(await req.body(), ['allow_lockout']) as DeactivateOptions,
            ),
          ),
        ),
    },
  },
  ...(Object.keys(STATE_CALLS) as (keyof typeof STATE_CALLS)[]).map((action) => ({
    pattern: new RegExp(`^/keys/([^/]+)/${action}$`),
    methods: {
      POST: (async (h, req, _caller, id) => {
        fromWire(await req.body(), [])
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
        return ok(presentOrganisation(await h.getOrganisation(organisation as string)))
      },
      POST: async (h, req, caller) => {
        const patch = fromWire(await req.body(), ORGANISATION_FIELDS)
        const { organisation } = scope(caller, req.query.get('organisation') ?? undefined)
        return ok(presentOrganisation(await h.updateOrganisation(organisation as string, patch)))
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

async function identify(kc: Keycycle, request: HttpRequest, options: RouterOptions) {
  const admin = options.isAdmin ? await options.isAdmin(request.raw) : false
  const adminActor: Actor | null =
    admin === false ? null : { kind: 'admin', id: admin === true ? 'admin' : admin }
  if (adminActor && readCredential(request.headers, options).kind === 'missing') {
    return { caller: { actor: adminActor, organisation: null, keyId: null }, headers: {} }
  }
  const auth = await authenticate(kc, request.headers, options)
  if (!auth.ok) return { response: auth.response }
  const { key } = auth.result
  const actor: Actor = adminActor ?? { kind: 'organisation', id: key.organisation }
  return { caller: { actor, organisation: key.organisation, keyId: key.id }, headers: auth.headers }
}

/**
 * Handles one management request (SPEC §6), or returns null when the path is not one of the
 * router's, so the framework passes it on. Authenticates first: a refused key gets its 401,
 * 403 or 503 before anything else happens. Every fault becomes a JSON error response.
 */
export async function handleManagement(
  kc: Keycycle,
  request: HttpRequest,
  options: RouterOptions = {},
): Promise<HttpResponse | null> {
  const path = request.path.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1')
  const route = ROUTES.find((r) => r.pattern.test(path))
  if (!route) return null
  const handler = route.methods[request.method.toUpperCase()]
  if (!handler) {
    const allow = Object.keys(route.methods).join(', ')
    return errorResponse(405, 'method_not_allowed', `use ${allow}`, { allow })
  }
  const id = route.pattern.exec(path)?.[1] ?? ''
  // A path that cannot name a key names nothing: 404, as for an unknown key.
  if (id !== '' && !isKeyId(id)) return errorResponse(404, 'not_found', 'key not found')
  try {
    const identified = await identify(kc, request, options)
    if ('response' in identified) return identified.response
    const handle = kc.as(identified.caller.actor)
    const response = await handler(handle, request, identified.caller, id, options)
    return { ...response, headers: { ...identified.headers, ...response.headers } }
  } catch (error) {
    return faultResponse(error)
  }
}
