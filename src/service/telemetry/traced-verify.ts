import type { VerifyResult } from '../../core/verify-result'
import type { ReadKey } from '../verify/read-key'
import type { Verify } from '../verify/verify'
import type { Instruments } from './instruments'
import type { Telemetry } from './telemetry'

// What the read step saw, written by the traced read while `verify` runs synchronously (the
// read is always reached before the pipeline's first await) and read right after the call.
interface ReadProbe {
  keyId: string | undefined
  cached: boolean | undefined
}

const USAGE_REFUSALS = new Set([
  'rate_limited',
  'credits_exhausted',
  'ip_forbidden',
  'insufficient_permissions',
])

/**
 * The read step and `verify`, instrumented: a `keycycle.verify` span (outcome, whether the
 * cache answered, the store kind, the key ID; never the token), with the store's calls under
 * it, and the verification metrics. `readKey` must be the read `verify` was built with.
 */
export function tracedVerify(
  telemetry: Telemetry,
  storeKind: string,
  hasCache: boolean,
): { read: (read: ReadKey) => ReadKey; verify: (verify: Verify) => Verify } {
  const probe: ReadProbe = { keyId: undefined, cached: undefined }
  const read =
    (inner: ReadKey): ReadKey =>
    (keyId, now) => {
      const answer = inner(keyId, now)
      probe.keyId = keyId
      // The cache answers a hit synchronously and only a miss with a promise.
      if (hasCache) probe.cached = !(answer instanceof Promise)
      return answer
    }

  const verify = (inner: Verify): Verify =>
    telemetry.choose(inner, (ins: Instruments, token: unknown, options) => {
      const tracing = ins.tracing()
      if (!tracing && !ins.metering) return inner(token, options)
      const started = performance.now()
      probe.keyId = undefined
      probe.cached = undefined
      const span = tracing
        ? ins.tracer.startSpan('keycycle.verify', {
            kind: ins.api.SpanKind.INTERNAL,
            attributes: { 'keycycle.store.kind': storeKind },
          })
        : null
      let pending: Promise<VerifyResult>
      try {
        pending = span ? ins.within(span, () => inner(token, options)) : inner(token, options)
      } catch (error) {
        if (span) ins.fail(span, error)
        throw error
      }
      const { keyId, cached } = probe
      return pending.then(
        (result) => {
          const outcome = result.ok ? 'ok' : result.code
          if (span) {
            span.setAttribute('keycycle.verify.outcome', outcome)
            if (keyId !== undefined) span.setAttribute('keycycle.key.id', keyId)
            if (cached !== undefined) span.setAttribute('keycycle.cache.hit', cached)
            span.end()
          }
          if (ins.metering) record(ins, outcome, cached, started)
          return result
        },
        (error: unknown) => {
          if (span) ins.fail(span, error)
          if (ins.metering) record(ins, 'error', cached, started)
          throw error
        },
      )
    })
  return { read, verify }
}

function record(
  ins: Instruments,
  outcome: string,
  cached: boolean | undefined,
  started: number,
): void {
  const attributes = { 'keycycle.verify.outcome': outcome }
  ins.verifications.add(1, attributes)
  ins.verifyDuration.record((performance.now() - started) / 1000, attributes)
  if (cached === true) ins.cacheHits.add(1)
  else if (cached === false) ins.cacheMisses.add(1)
  if (USAGE_REFUSALS.has(outcome)) ins.refusals.add(1, attributes)
}
