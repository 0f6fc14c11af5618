import { inspect } from 'node:util'
import { context } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { memoryStore } from '../../adapters/memory'
import { createKeycycle, type KeycycleOptions } from '../../src'
import { webhookDelivery } from '../../src/webhooks'
import { manualClock } from '../helpers/clock'
import { type Receiver, startReceiver } from '../webhooks/receiver'

// What a host with the SDK has: providers with in-memory exporters, and a context manager so
// that spans nest (NodeSDK registers one).
const contextManager = new AsyncLocalStorageContextManager()
beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable())
})
afterAll(() => {
  contextManager.disable()
  context.disable()
})

function sdk() {
  const spans = new InMemorySpanExporter()
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  })
  const metrics = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter: metrics, exportIntervalMillis: 1e9 })
  const meterProvider = new MeterProvider({ readers: [reader] })
  // The latest collection, as { metric name: [{ attributes, value }] }.
  const collect = async () => {
    await reader.forceFlush()
    const all =
      metrics
        .getMetrics()
        .at(-1)
        ?.scopeMetrics.flatMap((s) => s.metrics) ?? []
    return Object.fromEntries(all.map((m) => [m.descriptor.name, m.dataPoints])) as Record<
      string,
      { attributes: Record<string, unknown>; value: unknown }[]
    >
  }
  const named = (name: string) => spans.getFinishedSpans().filter((s) => s.name === name)
  return { spans, metrics, tracerProvider, meterProvider, collect, named, reader }
}

let receiver: Receiver | undefined
afterEach(async () => {
  await receiver?.close()
  receiver = undefined
})

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId
const sum = (points: { value: unknown }[] | undefined) =>
  (points ?? []).reduce((n, p) => n + (typeof p.value === 'number' ? p.value : 0), 0)

describe('OpenTelemetry, with the SDK', () => {
  it('traces an uncached and a cached verification, the store call under the first', async () => {
    const t = sdk()
    const kc = createKeycycle({
      store: memoryStore(),
      cache: { maxStalenessMs: 60_000, maxEntries: 100 },
      telemetry: { tracerProvider: t.tracerProvider, meterProvider: t.meterProvider },
    })
    const { token, key } = await kc.createOrganisation()
    expect(await kc.verify(token)).toMatchObject({ ok: true })
    expect(await kc.verify(token)).toMatchObject({ ok: true })
    expect(await kc.verify('kc_nonsense')).toMatchObject({ ok: false, code: 'malformed' })
    const [uncached, cached, malformed] = t.named('keycycle.verify')
    expect(uncached!.attributes).toEqual({
      'keycycle.store.kind': 'memory',
      'keycycle.verify.outcome': 'ok',
      'keycycle.key.id': key.id,
      'keycycle.cache.hit': false,
    })
    expect(cached!.attributes).toMatchObject({ 'keycycle.cache.hit': true })
    expect(malformed!.attributes).toEqual({
      'keycycle.store.kind': 'memory',
      'keycycle.verify.outcome': 'malformed',
    })
    const reads = t.named('keycycle.store.getKeyWithOrganisation')
    const underVerify = reads.filter((s) => parentOf(s) === uncached!.spanContext().spanId)
    expect(underVerify).toHaveLength(1)
    expect(underVerify[0]!.attributes).toMatchObject({
      'db.operation.name': 'getKeyWithOrganisation',
    })
    expect(reads.some((s) => parentOf(s) === cached!.spanContext().spanId)).toBe(false)

    const m = await t.collect()
    expect(m['keycycle.verifications']).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ attributes: { 'keycycle.verify.outcome': 'ok' }, value: 2 }),
        expect.objectContaining({
          attributes: { 'keycycle.verify.outcome': 'malformed' },
          value: 1,
        }),
      ]),
    )
    expect(sum(m['keycycle.cache.hits'])).toBe(1)
    expect(sum(m['keycycle.cache.misses'])).toBe(1)
    const durations = m['keycycle.verification.duration']!
    expect(durations.reduce((n, p) => n + (p.value as { count: number }).count, 0)).toBe(3)
    await kc.close()
  })

  it('traces a rotation with its store calls, and counts usage refusals', async () => {
    const t = sdk()
    const kc = createKeycycle({
      store: memoryStore(),
      telemetry: { tracerProvider: t.tracerProvider, meterProvider: t.meterProvider },
    })
    const created = await kc.createOrganisation({ allowedIps: ['192.0.2.0/24'] })
    await kc.asOrganisation(created.organisation.id).rotateKey(created.key.id, {})
    const [rotation] = t.named('keycycle.rotateKey')
    expect(rotation!.attributes).toEqual({ 'keycycle.actor.kind': 'organisation' })
    const children = t.spans
      .getFinishedSpans()
      .filter((s) => parentOf(s) === rotation!.spanContext().spanId)
      .map((s) => s.name)
    expect(children).toEqual(
      expect.arrayContaining(['keycycle.store.getKeyWithOrganisation', 'keycycle.store.updateKey']),
    )
    expect(t.named('keycycle.createOrganisation')[0]!.attributes).toEqual({
      'keycycle.actor.kind': 'system',
    })
    expect(await kc.verify(created.token, { ip: '203.0.113.9' })).toMatchObject({
      code: 'ip_forbidden',
    })
    const m = await t.collect()
    expect(m['keycycle.usage.refusals']).toEqual([
      expect.objectContaining({
        attributes: { 'keycycle.verify.outcome': 'ip_forbidden' },
        value: 1,
      }),
    ])
    await kc.close()
  })

  it('traces deliveries: a failed webhook, then delivered on its retry, under the outbox span; no token or secret anywhere', async () => {
    const t = sdk()
    const clock = manualClock()
    const secret = 'whsec-never-in-telemetry-0123456789'
    receiver = await startReceiver([500, 200])
    const telemetry = { tracerProvider: t.tracerProvider, meterProvider: t.meterProvider }
    const options: KeycycleOptions = {
      store: memoryStore(),
      clock,
      telemetry,
      onEvent: webhookDelivery({
        format: 'ricloud',
        allowPrivateDestinations: true,
        telemetry,
        resolve: () => ({ url: `${receiver!.url}/hooks/`, secret }),
      }),
      dispatch: { retryBaseMs: 1000, concurrency: 1 },
    }
    const kc = createKeycycle(options)
    const created = await kc.createOrganisation({ webhookConfig: 3 })
    const rotated = await kc.asAdmin('ops').rotateKey(created.key.id, {})
    await kc.drainEvents()
    clock.advance(2000)
    await kc.drainEvents()
    for (const { token } of [created, rotated])
      expect(await kc.verify(token)).toMatchObject({ ok: true })
    await kc.close()

    const sends = t.named('keycycle.webhook.send')
    const failed = sends.find((s) => s.attributes['http.response.status_code'] === 500)!
    expect(failed.attributes).toMatchObject({
      'http.request.method': 'POST',
      'server.address': '127.0.0.1',
      'keycycle.webhook.attempt': 1,
      'error.type': 'unavailable',
    })
    expect(failed.status.code).toBe(2)
    const retried = sends.find(
      (s) =>
        s.attributes['keycycle.event.type'] === failed.attributes['keycycle.event.type'] &&
        s !== failed,
    )!
    expect(retried.attributes).toMatchObject({
      'http.response.status_code': 200,
      'keycycle.webhook.attempt': 2,
    })
    const delivers = t.named('keycycle.outbox.deliver')
    const parent = delivers.find((s) => s.spanContext().spanId === parentOf(failed))!
    expect(parent.attributes).toMatchObject({
      'keycycle.delivery.attempt': 1,
      'keycycle.delivery.result': 'retry',
    })
    expect(
      delivers.filter((s) => s.attributes['keycycle.delivery.result'] === 'delivered'),
    ).toHaveLength(3)
    const m = await t.collect()
    const results = (m['keycycle.outbox.deliveries'] ?? []).map((p) => [
      p.attributes['keycycle.delivery.result'],
      p.value,
    ])
    expect(results).toEqual(expect.arrayContaining([['retry', 1]]))
    expect(sum(m['keycycle.outbox.deliveries'])).toBe(4)
    expect(m['keycycle.outbox.pending']).toEqual([expect.objectContaining({ value: 0 })])

    // Every exported item, as text: span names, attributes, events, statuses, links, metrics.
    const exported = inspect(
      [
        t.spans.getFinishedSpans().map((s) => [s.name, s.attributes, s.events, s.status, s.links]),
        m,
      ],
      { depth: 12, maxArrayLength: null, maxStringLength: null },
    )
    expect(exported).toContain(created.key.id)
    expect(exported).not.toContain(secret)
    for (const token of [created.token, rotated.token]) {
      const piece = token.slice(-49, -6)
      expect(exported).not.toContain(token)
      for (let i = 0; i + 12 <= piece.length; i++)
        expect(exported).not.toContain(piece.slice(i, i + 12))
    }
  })

  it('refuses a malformed telemetry option', () => {
    for (const telemetry of [{ tracer: {} }, { tracerProvider: {} }, 'yes']) {
      expect(() =>
        createKeycycle({
          store: memoryStore(),
          telemetry: telemetry as never,
        }),
      ).toThrow(expect.objectContaining({ code: 'validation' }))
    }
  })
})
