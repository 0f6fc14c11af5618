// With telemetry off no OpenTelemetry module is loaded; with `telemetry: true` the API is
// imported (once the instance is made) and, with no SDK registered, verification goes
// straight through. The mock's factory runs only when something imports the module.
import { describe, expect, it, vi } from 'vitest'
import { memoryStore } from '../../adapters/memory'
import { createKeycycle } from '../../src'

const loads = vi.hoisted(() => ({ count: 0 }))
vi.mock('@opentelemetry/api', async (original) => {
  loads.count++
  return original()
})

describe('telemetry off and API-only', () => {
  it('loads no OpenTelemetry module while off (the default)', async () => {
    const kc = createKeycycle({ store: memoryStore(), telemetry: false })
    const { token } = await kc.createOrganisation()
    expect(await kc.verify(token)).toMatchObject({ ok: true })
    await kc.close()
    expect(loads.count).toBe(0)
  })

  it('with telemetry: true and the API alone, imports it and verifies as before', async () => {
    const kc = createKeycycle({ store: memoryStore(), telemetry: true })
    const { token } = await kc.createOrganisation()
    expect(await kc.verify(token)).toMatchObject({ ok: true })
    expect(loads.count).toBe(1)
    await kc.close()
  })
})
