// keycycle over the Fetch API alone: one `(request) => Response` for Bun, Deno, Next.js route
// handlers or Workers. Bun: `bun examples/fetch.mjs`; Deno: `deno serve examples/fetch.mjs`;
// Node (no fetch server of its own): `npm run build && PORT=3000 node examples/fetch.mjs`.
import { createKeycycle } from 'keycycle'
import { apiKeyAuth, keysRouter } from 'keycycle/fetch'
import { memoryStore } from 'keycycle/memory'

const port = Number(globalThis.process?.env.PORT ?? 3000)
const kc = createKeycycle({ store: memoryStore() })
const { token } = await kc.createOrganisation()
console.log(`KEYCYCLE_TOKEN=${token}`)

const whoami = apiKeyAuth(kc, (_request, apiKey) =>
  Response.json({ organisation: apiKey.key.organisation }),
)
const keys = keysRouter(kc)
const fetch = async (request) =>
  new URL(request.url).pathname === '/whoami'
    ? whoami(request)
    : ((await keys(request)) ?? new Response('not found', { status: 404 }))

export default { fetch, port }

if (!globalThis.Bun && !globalThis.Deno) {
  const { serve } = await import('@hono/node-server')
  serve({ fetch, port, hostname: '127.0.0.1' }, () =>
    console.log(`listening on http://localhost:${port}`),
  )
}
