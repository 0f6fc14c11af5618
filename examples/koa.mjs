// keycycle on Koa: the management API, and a route of the host's own behind apiKeyAuth.
// npm run build && PORT=3000 node examples/koa.mjs

import { createKeycycle } from 'keycycle'
import { apiKeyAuth, keysRouter, requireKey } from 'keycycle/koa'
import { memoryStore } from 'keycycle/memory'
import Koa from 'koa'

const port = Number(process.env.PORT ?? 3000)
const kc = createKeycycle({ store: memoryStore() })
const { token } = await kc.createOrganisation()

const app = new Koa()
const auth = apiKeyAuth(kc)
app.use((ctx, next) => {
  if (ctx.path !== '/whoami') return next()
  return auth(ctx, async () => {
    ctx.body = { organisation: requireKey(ctx).key.organisation }
  })
})
app.use(keysRouter(kc))

app.listen(port, () =>
  console.log(`KEYCYCLE_TOKEN=${token}\nlistening on http://localhost:${port}`),
)
