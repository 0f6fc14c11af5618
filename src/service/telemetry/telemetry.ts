import type { Logger } from '../logger'
import { Instruments, type OtelApi, type TelemetryProviders } from './instruments'

/** `createKeycycle`'s `telemetry` option once read: the providers, or `{}` for the global ones. */
export type TelemetrySetting = TelemetryProviders

/**
 * Telemetry being switched on. `@opentelemetry/api` is imported (dynamically, so that with
 * telemetry off it is never loaded) when this is made; `createKeycycle` is synchronous, so
 * until the import settles `instruments` is null and a wrapped call waits for `ready` (the
 * first calls after start-up, once). If the API cannot be loaded, the logger says so at
 * `warn` and every wrapper calls straight through.
 */
export class Telemetry {
  instruments: Instruments | null = null
  /** False until the import settled, whether it succeeded or not. */
  settled = false
  readonly ready: Promise<void>

  constructor(setting: TelemetrySetting, logger: Logger) {
    this.ready = loadApi().then(
      (api) => {
        this.instruments = new Instruments(api, setting)
        this.settled = true
      },
      (error: unknown) => {
        this.settled = true
        logger.warn('keycycle: telemetry is off: @opentelemetry/api could not be loaded', {
          error,
        })
      },
    )
  }

  /**
   * `traced` once the API is loaded, `plain` if it could not be; before then, a call that
   * waits for the import and then takes the one it chose.
   */
  choose<A extends unknown[], R>(
    plain: (...args: A) => Promise<R>,
    traced: (instruments: Instruments, ...args: A) => Promise<R>,
  ): (...args: A) => Promise<R> {
    const run = (args: A): Promise<R> =>
      this.instruments ? traced(this.instruments, ...args) : plain(...args)
    return (...args: A) => (this.settled ? run(args) : this.ready.then(() => run(args)))
  }
}

// A specifier in a variable, so that bundlers leave the optional peer to be resolved at run
// time (and a host without it installed never fails to build).
const API_MODULE = '@opentelemetry/api'

async function loadApi(): Promise<OtelApi> {
  const loaded = (await import(/* @vite-ignore */ API_MODULE)) as OtelApi & { default?: OtelApi }
  // CommonJS interop: the named exports may sit under `default`.
  return loaded.trace ? loaded : (loaded.default as OtelApi)
}
