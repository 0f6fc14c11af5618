// The example server's webhook-config resource (docs/events-and-webhooks.md#webhook-configs-in-the-example-server): ricloud's `/configs/webhook` routes,
// kept in the example's own SQLite table, and the `resolve` that tells keycycle/webhooks where a
// key's effective `webhook_config` delivers. A config belongs to the organisation whose key
// created it; an event is only ever delivered to a config of its own organisation. A config's
// URL may not point inside the host's network (loopback, private, link-local, … addresses):
// checked when it is saved and again at every delivery, unless `allowPrivateDestinations`.
import { randomBytes, randomUUID } from 'node:crypto'
import express from 'express'
import { apiKeyAuth, requireKey } from 'keycycle/express'
import { checkWebhookDestination, sendWebhook } from 'keycycle/webhooks'

const TABLE = 'example_webhook_configs'

const fail = (res, status, error, message, params = {}) =>
  res.status(status).json({ error, message, params })

// The public shape; the secret is shown to its organisation, which needs it to verify.
const present = (row) => ({
  id: row.id,
  resource: 'webhook_config',
  url: row.url,
  secret: row.secret,
  date_created: row.date_created,
})

const isWebUrl = (text) =>
  typeof text === 'string' && URL.canParse(text) && /^https?:$/.test(new URL(text).protocol)

/**
 * Creates the table if needed; returns the routes and the resolver for keycycle/webhooks.
 * `allowPrivateDestinations` (default false) lets configs point at private addresses, for local
 * development only.
 */
export async function webhookConfigs(db, { allowPrivateDestinations = false } = {}) {
  // Why `url` cannot be a config's URL, or null when it can.
  const urlProblem = async (url) => {
    if (!isWebUrl(url)) return 'url: must be an http or https URL'
    const refused = await checkWebhookDestination(url, { allowPrivateDestinations })
    return refused === null ? null : `url: ${refused.message}`
  }
  const secretProblem = (secret) =>
    typeof secret !== 'string' || secret.length < 16 ? 'secret: at least 16 characters' : null

  await db.schema
    .createTable(TABLE)
    .ifNotExists()
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('organisation', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('date_created', 'text', (c) => c.notNull())
    .execute()

  // Config IDs are integers, as ricloud's are; a key may name one as 2 or "2".
  const find = (organisation, id) =>
    /^\d{1,15}$/.test(String(id))
      ? db
          .selectFrom(TABLE)
          .selectAll()
          .where('organisation', '=', organisation)
          .where('id', '=', Number(id))
          .executeTakeFirst()
      : undefined

  /** keycycle/webhooks' `resolve`: the config's URL and secret, or null (nothing to send). */
  const resolve = async (id, event) => {
    const row = await find(event.key?.organisation ?? event.organisation.id, id)
    return row ? { url: row.url, secret: row.secret } : null
  }

  const router = (kc) => {
    const app = express.Router()
    app.use('/configs/webhook', apiKeyAuth(kc))
    // ricloud's client sends JSON without a Content-Type, and `null` as the body of `test`.
    app.use('/configs/webhook', express.json({ type: () => true, strict: false, limit: '16kb' }))
    const organisation = (req) => requireKey(req).key.organisation

    app.post('/configs/webhook', async (req, res) => {
      const { url, secret = `whsec_${randomBytes(24).toString('base64')}` } = req.body ?? {}
      const problem = await urlProblem(url)
      if (problem) return fail(res, 400, 'validation', problem, { field: 'url' })
      const badSecret = secretProblem(secret)
      if (badSecret) return fail(res, 400, 'validation', badSecret, { field: 'secret' })
      const row = { organisation: organisation(req), url, secret }
      const created = await db
        .insertInto(TABLE)
        .values({ ...row, date_created: new Date().toISOString() })
        .returningAll()
        .executeTakeFirstOrThrow()
      res.status(201).json(present(created))
    })

    // A ricloud list, newest first; `starting_after` pages on.
    app.get('/configs/webhook', async (req, res) => {
      const limit = Number(req.query.limit ?? 10)
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
        return fail(res, 400, 'validation', 'limit: 1 to 100', { field: 'limit' })
      }
      let query = db.selectFrom(TABLE).selectAll().where('organisation', '=', organisation(req))
      if (req.query.starting_after !== undefined) {
        const after = Number(req.query.starting_after)
        if (!Number.isInteger(after)) {
          return fail(res, 400, 'validation', 'starting_after: a config ID', {
            field: 'starting_after',
          })
        }
        query = query.where('id', '<', after)
      }
      const rows = await query
        .orderBy('id', 'desc')
        .limit(limit + 1)
        .execute()
      const data = rows.slice(0, limit).map(present)
      res.json({ resource: 'list', data, has_more: rows.length > limit, url: '/configs/webhook' })
    })

    // The config, or 404 for an ID that is unknown, malformed or another organisation's.
    const load = async (req, res, next) => {
      res.locals.config = await find(organisation(req), req.params.id)
      if (res.locals.config) return next()
      fail(res, 404, 'not_found', 'webhook_config not found')
    }

    app.get('/configs/webhook/:id', load, (_req, res) => res.json(present(res.locals.config)))

    // ricloud's update: `url` and `secret`, each optional, checked as at creation.
    app.post('/configs/webhook/:id', load, async (req, res) => {
      const { url, secret } = req.body ?? {}
      if (url !== undefined) {
        const problem = await urlProblem(url)
        if (problem) return fail(res, 400, 'validation', problem, { field: 'url' })
      }
      if (secret !== undefined) {
        const badSecret = secretProblem(secret)
        if (badSecret) return fail(res, 400, 'validation', badSecret, { field: 'secret' })
      }
      const patch = {
        ...(url === undefined ? {} : { url }),
        ...(secret === undefined ? {} : { secret }),
      }
      if (Object.keys(patch).length === 0) return res.json(present(res.locals.config))
      const updated = await db
        .updateTable(TABLE)
        .set(patch)
        .where('id', '=', res.locals.config.id)
        .returningAll()
        .executeTakeFirstOrThrow()
      res.json(present(updated))
    })

    app.delete('/configs/webhook/:id', load, async (_req, res) => {
      await db.deleteFrom(TABLE).where('id', '=', res.locals.config.id).execute()
      res.json({ ...present(res.locals.config), deleted: true })
    })

    // Sends ricloud's test event (`webhook_config.test`, which its listener announces) now; a
    // refused destination (a name that resolves inside the network now) fails it as well.
    app.post('/configs/webhook/:id/test', load, async (_req, res) => {
      const config = res.locals.config
      const { secret, ...data } = present(config)
      const message = { id: randomUUID(), type: 'webhook_config.test', at: Date.now(), data }
      try {
        await sendWebhook({
          format: 'ricloud',
          target: { url: config.url, secret },
          message,
          allowPrivateDestinations,
        })
        res.json({ id: message.id, resource: 'event', type: 'webhook_config', action: 'test' })
      } catch (error) {
        fail(res, 502, 'webhook_failed', error.message)
      }
    })

    // A body that is not JSON, answered as the management API answers it.
    app.use('/configs/webhook', (error, _req, res, next) =>
      error.type === 'entity.parse.failed' || error.type === 'entity.too.large'
        ? fail(res, 400, 'validation', 'body: not valid JSON', { field: 'body' })
        : next(error),
    )
    return app
  }

  return { resolve, router }
}
