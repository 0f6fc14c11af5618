// keycycle on Express: the management API, and a route of the host's own behind apiKeyAuth.
// npm run build && PORT=3000 node examples/express.mjs
import express from 'express'
import { createKeycycle } from 'keycycle'
import { apiKeyAuth, keysRouter, requireKey } from 'keycycle/express'
import { memoryStore } from 'keycycle/memory'

const port = Number(process.env.PORT ?? 3000)
const kc = createKeycycle({ store: memoryStore() })
const { token } = await kc.createOrganisation()

const app = express()
app.get('/whoami', apiKeyAuth(kc), (req, res) =>
  res.json({ organisation: requireKey(req).key.organisation }),
)
app.use(keysRouter(kc))

app.listen(port, () =>
  console.log(`KEYCYCLE_TOKEN=${token}\nlistening on http://localhost:${port}`),
)
