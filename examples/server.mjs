// The keycycle example server: Express 5, the SQLite store, the management API of the ricloud
// and NCP seeds, and ricloud's webhook configs, to which events are delivered signed in
// ricloud's format. Run it with `npm run example` (it builds the package first, quietly).
//
//   PORT                  port to listen on (default 3000)
//   KEYCYCLE_DB           SQLite file (default ./keycycle-example.db)
//   KEYCYCLE_ADMIN_TOKEN  value of the X-Admin-Token header that makes a request an admin's
//                         (default: a random one, printed at start)
//   KEYCYCLE_SECRET_ENCRYPTION_KEY
//                         the key-encryption key that seals signing keys' tokens (base64,
//                         32 bytes); default: one created at the first start and kept beside
//                         the database, in <KEYCYCLE_DB>.kek
//   KEYCYCLE_ALLOW_PRIVATE_WEBHOOKS=1
//                         lets webhook configs point at loopback, private and other internal
//                         addresses (http://localhost:8080/…), for local development only;
//                         by default such a config is refused when saved and at delivery
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import Database from 'better-sqlite3'
import express from 'express'
import { createKeycycle } from 'keycycle'
import { apiKeyAuth, keysRouter } from 'keycycle/express'
import { kyselyStore, migrateKeycycle } from 'keycycle/kysely'
import { webhookDelivery } from 'keycycle/webhooks'
import { Kysely, SqliteDialect } from 'kysely'
import { webhookConfigs } from './webhook-configs.mjs'

const port = Number(process.env.PORT ?? 3000)
const file = process.env.KEYCYCLE_DB ?? './keycycle-example.db'
const adminToken = process.env.KEYCYCLE_ADMIN_TOKEN ?? randomBytes(24).toString('base64url')
const allowPrivateDestinations = process.env.KEYCYCLE_ALLOW_PRIVATE_WEBHOOKS === '1'

// Signing keys (`"signing": true`, for NCP-signed requests) keep their tokens sealed under a
// key-encryption key: from the environment, or one kept beside the database so that a plain
// `npm run example` works and keeps working across restarts. In production keep it elsewhere
// than the database (a secret manager): the two together open every signing key.
const kekFile = `${file}.kek`
let kekNote = null
let kekText = process.env.KEYCYCLE_SECRET_ENCRYPTION_KEY
if (kekText === undefined) {
  if (!existsSync(kekFile)) {
    writeFileSync(kekFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 })
    kekNote = `created a key-encryption key for signing keys in ${kekFile} (set KEYCYCLE_SECRET_ENCRYPTION_KEY to use your own)`
  }
  kekText = readFileSync(kekFile, 'utf8').trim()
}
const kek = Buffer.from(kekText, 'base64')
if (kek.length !== 32) {
  console.error('KEYCYCLE_SECRET_ENCRYPTION_KEY must be 32 bytes in base64')
  process.exit(1)
}

const db = new Kysely({ dialect: new SqliteDialect({ database: new Database(file) }) })
await migrateKeycycle(db)
const configs = await webhookConfigs(db, { allowPrivateDestinations })
// Each event goes to its key's effective webhook_config (a failed delivery is retried from the
// durable outbox, with the same event ID).
const deliver = webhookDelivery({
  format: 'ricloud',
  resolve: configs.resolve,
  allowPrivateDestinations,
})
const kc = createKeycycle({
  store: kyselyStore(db),
  secretEncryption: { keys: [{ id: 'example', key: new Uint8Array(kek) }] },
  // Logged once handled: delivered, or nothing to deliver (no config of its organisation).
  onEvent: async (event) => {
    const subject = event.key?.id ?? event.organisation.id
    const line = `event ${event.type} ${subject} by ${event.actor.kind}`
    try {
      await deliver(event)
    } catch (error) {
      console.log(`${line}: not delivered, retried later: ${error.message}`)
      throw error
    }
    console.log(line)
  },
})

// The first start creates an organisation; its token is shown this once and never again.
const existing = await db
  .selectFrom('keycycle_organisations')
  .select('id')
  .limit(1)
  .executeTakeFirst()
const first = existing ? null : await kc.createOrganisation()

const expected = Buffer.from(adminToken)
const isAdmin = (req) => {
  const given = Buffer.from(String(req.headers['x-admin-token'] ?? ''))
  return given.length === expected.length && timingSafeEqual(given, expected)
    ? 'example-admin'
    : false
}

const app = express()
app.get('/whoami', apiKeyAuth(kc), (req, res) => {
  res.json({ organisation: req.apiKey.key.organisation, key: req.apiKey.key.id })
})
app.use(configs.router(kc))
app.use(keysRouter(kc, { isAdmin }))
// NCP's path style: /api/v1/api-keys/{id}
app.use('/api/v1', keysRouter(kc, { isAdmin }))

// Persist due expiries (verification never waits for this; it is exact on its own).
setInterval(
  () => kc.expireDue().catch((error) => console.error('expireDue failed', error.message)),
  60_000,
).unref()

// What a newcomer needs on the first screen: the tokens, where it listens, and a call to try.
app.listen(port, () => {
  const url = `http://localhost:${port}`
  const token = first ? first.token : '<the KEYCYCLE_TOKEN printed at the first start>'
  console.log(
    [
      ...(first
        ? [
            `KEYCYCLE_TOKEN=${first.token}`,
            `  the API key of a new organisation (${first.organisation.id}): shown this once, only its digest is stored`,
          ]
        : [`the organisations in ${file} are kept; delete it to start over with a new token`]),
      ...(kekNote ? [kekNote] : []),
      `KEYCYCLE_ADMIN_TOKEN=${adminToken}`,
      '  send it as X-Admin-Token to act as the API administrator',
      ...(allowPrivateDestinations
        ? ['webhook configs may point at private addresses (KEYCYCLE_ALLOW_PRIVATE_WEBHOOKS=1)']
        : []),
      `keycycle example listening on ${url}`,
      '',
      'Try, in another shell:',
      `  curl ${url}/whoami -H 'Authorization: Token ${token}'`,
      `  curl ${url}/keys -H 'Authorization: Token ${token}'`,
    ].join('\n'),
  )
})
