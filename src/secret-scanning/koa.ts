import type { NodeRequestLike } from '../http/node-request'
import type { Keycycle } from '../service/keycycle'
import { nodeHeader, nodeReportBody } from './express'
import { reportHandler, type SecretScanningOptions } from './handler'

/** The parts of a Koa context the handler uses. */
export interface SecretScanningKoaContext {
  req: NodeRequestLike
  /** Koa's request: a body parser may leave `rawBody` (text) or bytes in `body`. */
  request: object
  status: number
  body: unknown
  set(name: string, value: string): void
}

/**
 * Koa middleware for GitHub's secret scanning reports, answering every request it is given:
 * route to it (`router.post(path, secretScanning(kc))`, or `if (ctx.path === path)`). It needs
 * the raw body: put it before a body parser, or after one that keeps `ctx.request.rawBody`
 * (koa-bodyparser does). Answers as `keycycle/secret-scanning`'s `secretScanning` does.
 */
export function secretScanning(
  kc: Keycycle,
  options: SecretScanningOptions = {},
): (ctx: SecretScanningKoaContext) => Promise<void> {
  const handle = reportHandler(kc, options)
  return async (ctx) => {
    const parsed = ctx.request as { rawBody?: unknown; body?: unknown }
    const response = await handle({
      header: (name) => nodeHeader(ctx.req, name),
      body: async (limit) => nodeReportBody(ctx.req, parsed, limit),
    })
    ctx.status = response.status
    for (const [name, value] of Object.entries(response.headers)) ctx.set(name, value)
    ctx.body = response.body ?? null
  }
}
