import type { KeyStore } from '../../store'
import { errorType, type Instruments } from './instruments'
import type { Telemetry } from './telemetry'

type Method = Exclude<keyof KeyStore, 'kind' | 'watch' | 'getKeyWithOrganisationSync'>

/**
 * Wraps a (guarded) store: every call made under a keycycle span gets a
 * `keycycle.store.<method>` span of its own (`db.operation.name`, the store kind, `error.type`
 * when it fails), and every failed call counts in `keycycle.store.failures`. Calls outside a
 * span (the dispatcher's polling) make no span, so an idle instance exports nothing.
 */
export function tracedStore(store: KeyStore, telemetry: Telemetry, storeKind: string): KeyStore {
  const wrap = <M extends Method>(method: M): KeyStore[M] => {
    const call = store[method] as (...args: unknown[]) => Promise<unknown>
    const name = `keycycle.store.${method}`
    return ((...args: unknown[]) => {
      const ins = telemetry.instruments
      if (ins === null) return call.apply(store, args)
      const span = ins.tracing()
        ? ins.child(name, ins.api.SpanKind.CLIENT, attributes(method))
        : null
      return call.apply(store, args).then(
        (value) => {
          span?.end()
          return value
        },
        (error: unknown) => {
          failed(ins, method, error)
          if (span) ins.fail(span, error)
          throw error
        },
      )
    }) as KeyStore[M]
  }
  const attributes = (method: string) => ({
    'db.operation.name': method,
    'keycycle.store.kind': storeKind,
  })
  const traced: Record<string, unknown> = { ...store }
  for (const method of Object.keys(store) as (keyof KeyStore)[]) {
    if (method === 'kind' || method === 'watch' || method === 'getKeyWithOrganisationSync') continue
    if (typeof store[method] === 'function') traced[method] = wrap(method)
  }
  const sync = store.getKeyWithOrganisationSync
  if (sync) {
    const method = 'getKeyWithOrganisationSync'
    traced.getKeyWithOrganisationSync = (id: string) => {
      const ins = telemetry.instruments
      if (ins === null) return sync.call(store, id)
      const span = ins.tracing()
        ? ins.child(`keycycle.store.${method}`, ins.api.SpanKind.CLIENT, attributes(method))
        : null
      try {
        const found = sync.call(store, id)
        span?.end()
        return found
      } catch (error) {
        failed(ins, method, error)
        if (span) ins.fail(span, error)
        throw error
      }
    }
  }
  return traced as unknown as KeyStore
}

function failed(ins: Instruments, method: string, error: unknown): void {
  ins.storeFailures.add(1, { 'db.operation.name': method, 'error.type': errorType(error) })
}
