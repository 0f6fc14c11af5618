import type * as Api from '@opentelemetry/api'
import type { Attributes, Counter, Histogram, Meter, Span, Tracer } from '@opentelemetry/api'

/** The module `@opentelemetry/api`, loaded only when telemetry is on. */
export type OtelApi = typeof Api

/** Where spans and metrics go: the host's providers, or the global ones (`telemetry: true`). */
export interface TelemetryProviders {
  tracerProvider?: Api.TracerProvider
  meterProvider?: Api.MeterProvider
}

const SCOPE = 'keycycle'
// keycycle's version is not read at run time (no package.json import in the bundle).
const SCOPE_VERSION = '0.1.0'

/**
 * The tracer, the meter and every instrument keycycle records to, made once. `tracing()` and
 * `metering` say whether anything would be recorded: with the API alone (no SDK registered)
 * both are false and the wrappers call straight through, so that case costs next to nothing.
 */
export class Instruments {
  readonly tracer: Tracer
  readonly meter: Meter
  readonly metering: boolean
  readonly verifications: Counter
  readonly verifyDuration: Histogram
  readonly cacheHits: Counter
  readonly cacheMisses: Counter
  readonly deliveries: Counter
  readonly storeFailures: Counter
  readonly refusals: Counter
  private readonly proxy: Api.ProxyTracerProvider | null
  private readonly noopTracing: unknown

  constructor(
    readonly api: OtelApi,
    providers: TelemetryProviders,
  ) {
    const tracerProvider = providers.tracerProvider ?? api.trace.getTracerProvider()
    this.tracer = tracerProvider.getTracer(SCOPE, SCOPE_VERSION)
    // The global provider is a proxy whose delegate is a no-op until an SDK registers: checked
    // on every call (a field read), so an SDK registered after createKeycycle is picked up.
    this.proxy = tracerProvider instanceof api.ProxyTracerProvider ? tracerProvider : null
    this.noopTracing = new api.ProxyTracerProvider().getDelegate()
    const meterProvider = providers.meterProvider ?? api.metrics.getMeterProvider()
    this.meter = meterProvider.getMeter(SCOPE, SCOPE_VERSION)
    // A no-op meter hands out one shared no-op instrument: the global API without an SDK.
    const noop = api.createNoopMeter().createCounter('keycycle.probe')
    this.metering = this.meter.createCounter('keycycle.probe') !== noop
    const m = this.meter
    this.verifications = m.createCounter('keycycle.verifications', {
      description: 'Verifications, by outcome (ok or the refusal code)',
      unit: '{verification}',
    })
    this.verifyDuration = m.createHistogram('keycycle.verification.duration', {
      description: 'How long kc.verify took, from call to result',
      unit: 's',
      advice: {
        explicitBucketBoundaries: [
          1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 5e-3, 1e-2, 0.05, 0.1, 0.5, 1, 2.5,
        ],
      },
    })
    this.cacheHits = m.createCounter('keycycle.cache.hits', {
      description: 'Verifications the cache answered',
      unit: '{verification}',
    })
    this.cacheMisses = m.createCounter('keycycle.cache.misses', {
      description: 'Verifications the cache sent to the store',
      unit: '{verification}',
    })
    this.deliveries = m.createCounter('keycycle.outbox.deliveries', {
      description: 'Outbox delivery attempts, by result',
      unit: '{delivery}',
    })
    this.storeFailures = m.createCounter('keycycle.store.failures', {
      description: 'Store calls that failed, by operation and error code',
      unit: '{call}',
    })
    this.refusals = m.createCounter('keycycle.usage.refusals', {
      description: 'Verifications refused by usage control, by outcome',
      unit: '{verification}',
    })
  }

  /** Whether spans would be recorded now (false while the global provider is a no-op). */
  tracing(): boolean {
    return this.proxy === null || this.proxy.getDelegate() !== this.noopTracing
  }

  /** A span under the active one, or null when there is none (a background store call). */
  child(name: string, kind: Api.SpanKind, attributes: Attributes): Span | null {
    const { api } = this
    const parent = api.context.active()
    if (api.trace.getSpan(parent) === undefined) return null
    return this.tracer.startSpan(name, { kind, attributes }, parent)
  }

  /** Runs `work` with `span` active, so that the store's spans nest under it. */
  within<T>(span: Span, work: () => T): T {
    const { api } = this
    return api.context.with(api.trace.setSpan(api.context.active(), span), work)
  }

  /** Ends `span` as failed with `error`: its code (`error.type`) and message, never a value. */
  fail(span: Span, error: unknown): void {
    span.setAttribute('error.type', errorType(error))
    span.setStatus({ code: this.api.SpanStatusCode.ERROR, message: errorMessage(error) })
    span.end()
  }
}

/** A fault's kind for `error.type`: a `KeycycleError`'s code, else the error's name. */
export function errorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  if (typeof code === 'string') return code
  return error instanceof Error ? error.name : 'unknown'
}

// keycycle's messages never hold a token; a host's throw is its own (its onEvent's).
function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
