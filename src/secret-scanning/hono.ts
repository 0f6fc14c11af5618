import type { Context } from 'hono'
import { toFetchResponse } from '../http/fetch-request'
import type { Keycycle } from '../service/keycycle'
import { reportHandler, type SecretScanningOptions } from './handler'
import { readStreamBody } from './raw-body'

/**
 * A Hono handler for GitHub's secret scanning reports: `app.post(path, secretScanning(kc))`.
 * Reads the raw body from the request, or through Hono's body cache when a middleware before
 * it read the body with `c.req` already. Answers as `keycycle/secret-scanning`'s
 * `secretScanning` does.
 */
export function secretScanning(
  kc: Keycycle,
  options: SecretScanningOptions = {},
): (c: Context) => Promise<Response> {
  const handle = reportHandler(kc, options)
  return async (c) => {
    const response = await handle({
      header: (name) => c.req.header(name) ?? null,
      body: async (limit) => {
        if (!c.req.raw.bodyUsed) return readStreamBody(c.req.raw.body, limit)
        const bytes = new Uint8Array(await c.req.arrayBuffer())
        return bytes.length > limit ? null : bytes
      },
    })
    return toFetchResponse(response)
  }
}
