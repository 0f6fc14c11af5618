import { toFetchResponse } from '../http/fetch-request'
import type { Keycycle } from '../service/keycycle'
import { reportHandler, type SecretScanningOptions } from './handler'
import { readStreamBody } from './raw-body'

/**
 * GitHub's secret scanning reports as a Fetch handler, `Request` → `Response`: for Bun, Deno,
 * Workers, Next.js route handlers (and `keycycle/hono`). Mount it at the URL registered with
 * GitHub, for POST. It reads the raw body itself: give it the request before anything has
 * read the body (`request.bodyUsed` is then false). See `reportHandler` for the answers.
 *
 * @example
 * ```ts
 * const leaks = secretScanning(kc, { policy: 'revoke' })
 * export const POST = (request: Request) => leaks(request)
 * ```
 */
export function secretScanning(
  kc: Keycycle,
  options: SecretScanningOptions = {},
): (request: Request) => Promise<Response> {
  const handle = reportHandler(kc, options)
  return async (request) => {
    const response = await handle({
      header: (name) => request.headers.get(name),
      body: (limit) => readStreamBody(request.body, limit),
    })
    return toFetchResponse(response)
  }
}
