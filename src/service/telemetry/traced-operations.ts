import type { ObserveDelivery } from '../dispatcher'
import type { Instruments } from './instruments'
import type { Telemetry } from './telemetry'

/**
 * Wraps every method of `target` (an actor handle, or the host-level calls) in a
 * `keycycle.<method>` span with `keycycle.actor.kind`; the store's calls nest under it. The
 * arguments are never recorded (a patch may hold metadata, a result holds a token).
 */
export function tracedOperations<T extends object>(
  target: T,
  telemetry: Telemetry,
  actorKind: string,
): T {
  const traced: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(target)) {
    if (typeof value !== 'function') {
      traced[name] = value
      continue
    }
    const call = value as (...args: unknown[]) => Promise<unknown>
    const spanName = `keycycle.${name}`
    traced[name] = telemetry.choose(call, (ins: Instruments, ...args: unknown[]) => {
      if (!ins.tracing()) return call(...args)
      const span = ins.tracer.startSpan(spanName, {
        kind: ins.api.SpanKind.INTERNAL,
        attributes: { 'keycycle.actor.kind': actorKind },
      })
      return ins
        .within(span, () => call(...args))
        .then(
          (value) => {
            span.end()
            return value
          },
          (error: unknown) => {
            ins.fail(span, error)
            throw error
          },
        )
    })
  }
  return Object.freeze(traced) as T
}

/**
 * The dispatcher's observer: a `keycycle.outbox.deliver` span around each attempt (the event's
 * type and ID, the attempt, the result), with `onEvent` running under it, and
 * `keycycle.outbox.deliveries` counted by result and event type.
 */
export function tracedDelivery(telemetry: Telemetry): ObserveDelivery {
  return async ({ event, attempt }, run) => {
    if (!telemetry.settled) await telemetry.ready
    const ins = telemetry.instruments
    if (ins === null) return run()
    const span = ins.tracing()
      ? ins.tracer.startSpan('keycycle.outbox.deliver', {
          kind: ins.api.SpanKind.CONSUMER,
          attributes: {
            'keycycle.event.type': event.type,
            'keycycle.event.id': event.id,
            'keycycle.delivery.attempt': attempt,
          },
        })
      : null
    const ended = await (span ? ins.within(span, run) : run())
    ins.deliveries.add(1, {
      'keycycle.delivery.result': ended.result,
      'keycycle.event.type': event.type,
    })
    if (span) {
      span.setAttribute('keycycle.delivery.result', ended.result)
      if (ended.result === 'retry' || ended.result === 'given_up') ins.fail(span, ended.error)
      else span.end()
    }
    return ended
  }
}
