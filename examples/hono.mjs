// keycycle on Hono: the management API (middleware), and a route behind apiKeyAuth.
// npm run build && PORT=3000 node examples/hono.mjs   (on Node through @hono/node-server)
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createKeycycle } from 'keycycle'
import { apiKeyAuth, keysRouter } from 'keycycle/hono'
import { memoryStore } from 'keycycle/memory'

const port = Number(process.env.PORT ?? 3000)
const kc = createKeycycle({ store: memoryStore() })
const { token } = await kc.createOrganisation()

const app = new Hono()
app.get('/whoami', apiKeyAuth(kc), (c) => c.json({ organisation: c.var.apiKey.key.organisation }))
app.use(keysRouter(kc))

serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () =>
  console.log(`KEYCYCLE_TOKEN=${token}\nlistening on http://localhost:${port}`),
)
