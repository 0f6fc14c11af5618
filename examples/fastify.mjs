// keycycle on Fastify: the management API (a plugin), and a route behind the apiKeyAuth hook.
// npm run build && PORT=3000 node examples/fastify.mjs
import Fastify from 'fastify'
import { createKeycycle } from 'keycycle'
import { apiKeyAuth, keysRouter, requireKey } from 'keycycle/fastify'
import { memoryStore } from 'keycycle/memory'

const port = Number(process.env.PORT ?? 3000)
const kc = createKeycycle({ store: memoryStore() })
const { token } = await kc.createOrganisation()

// ignoreDuplicateSlashes: NCP clients call /api/v1//api-keys/{id}.
const app = Fastify({ routerOptions: { ignoreDuplicateSlashes: true } })
app.get('/whoami', { preHandler: apiKeyAuth(kc) }, async (req) => ({
  organisation: requireKey(req).key.organisation,
}))
app.register(keysRouter(kc))

await app.listen({ port, host: '127.0.0.1' })
console.log(`KEYCYCLE_TOKEN=${token}\nlistening on http://localhost:${port}`)
