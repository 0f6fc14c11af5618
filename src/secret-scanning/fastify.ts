import type { FastifyPluginAsync } from 'fastify'
import { responseText } from '../http/node-request'
import type { Keycycle } from '../service/keycycle'
import { nodeHeader } from './express'
import { reportHandler, type SecretScanningOptions } from './handler'
import { readRawBody } from './raw-body'

/** Options of the Fastify `secretScanning`: where the route is, within the plugin's prefix. */
export interface FastifySecretScanningOptions extends SecretScanningOptions {
  /** Default `/`: `app.register(secretScanning(kc), { prefix: '/github/secret-scanning' })`. */
  path?: string
}

/**
 * A Fastify plugin serving GitHub's secret scanning reports at POST `path`. Its route takes
 * every content type as an unparsed stream (the parsers are the plugin's own), so the raw body
 * reaches the signature check whatever the host's parsers. Answers as
 * `keycycle/secret-scanning`'s `secretScanning` does.
 */
export function secretScanning(
  kc: Keycycle,
  options: FastifySecretScanningOptions = {},
): FastifyPluginAsync {
  const handle = reportHandler(kc, options)
  return async (instance) => {
    instance.removeAllContentTypeParsers()
    instance.addContentTypeParser('*', (_request, payload, done) => done(null, { payload }))
    instance.post(options.path ?? '/', async (request, reply) => {
      const parsed = request.body as { payload?: AsyncIterable<Uint8Array | string> } | undefined
      const response = await handle({
        header: (name) => nodeHeader(request.raw, name),
        body: (limit) => readRawBody(parsed?.payload ?? request.raw, limit),
      })
      reply.code(response.status)
      for (const name in response.headers) reply.header(name, response.headers[name]!)
      const text = responseText(response)
      if (text === undefined) return reply.send()
      return reply.type('application/json; charset=utf-8').send(text)
    })
  }
}
