// Figure 15: what OpenTelemetry costs a verification on the memory store, cached and not: off
// (the default), on with the API alone (`telemetry: true`, no SDK registered), and on with the
// SDK (the host's providers: every span sampled and batched to an exporter that drops them, a
// metric reader attached), each against off, taking turns in one group.
import type { ExportResult } from '@opentelemetry/core'
import {
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base'
import { createKeycycle, type Keycycle } from '../../src/service/keycycle'
import { openBackend } from '../backends'
import { compare, cycle } from '../harness'
import { makeTokens, verifyOk } from '../tokens'
import type { Context } from './context'
import { CACHE } from './verify'

const KEYS = 16
const done = (callback: (result: ExportResult) => void) => callback({ code: 0 })
const dropSpans: SpanExporter = {
  export: (_, callback) => done(callback),
  shutdown: async () => {},
}
const dropMetrics: PushMetricExporter = {
  export: (_, callback) => done(callback),
  forceFlush: async () => {},
  shutdown: async () => {},
}

export async function telemetryFigures({ report, timing }: Context): Promise<void> {
  const backend = await openBackend('memory')
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new BatchSpanProcessor(dropSpans)],
  })
  const meterProvider = new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({ exporter: dropMetrics, exportIntervalMillis: 10_000 }),
    ],
  })
  const made: Keycycle[] = []
  const make = (cache: boolean, telemetry: Parameters<typeof createKeycycle>[0]['telemetry']) => {
    const kc = createKeycycle({
      store: backend.store,
      ...(cache ? { cache: CACHE } : {}),
      ...(telemetry === undefined ? {} : { telemetry }),
    })
    made.push(kc)
    return kc
  }
  try {
    for (const cache of [false, true]) {
      const off = make(cache, undefined)
      const api = make(cache, true)
      const sdk = make(cache, { tracerProvider, meterProvider })
      const tokens = (await makeTokens(off, KEYS)).valid
      for (const kc of [api, sdk]) for (const token of tokens) await kc.verify(token)
      const label = cache ? 'cached verify' : 'verify'
      console.log(`\n[memory] ${label}: telemetry off, API only, SDK`)
      const g = await compare(
        [
          { name: 'off', run: verifyOk(off, cycle(tokens)) },
          { name: 'API only', run: verifyOk(api, cycle(tokens)) },
          { name: 'SDK', run: verifyOk(sdk, cycle(tokens)) },
        ],
        timing,
      )
      report.ratio(15, `memory: ${label}, telemetry API only ÷ off`, g, 'API only', 'off', {
        atLeast: 0.95,
      })
      report.ratio(15, `memory: ${label}, telemetry with the SDK ÷ off`, g, 'SDK', 'off', {
        none: true,
      })
    }
  } finally {
    for (const kc of made) await kc.close()
    await tracerProvider.shutdown()
    await meterProvider.shutdown()
    await backend.close()
  }
}
