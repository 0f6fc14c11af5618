import { memoryStore } from '../../adapters/memory'
import type { Actor, Keycycle } from '../../src'
import { createKeycycle } from '../../src'
import type { KeycycleEvent } from '../../src/service/events'
import type { KeycycleOptions } from '../../src/service/options'
import { type ManualClock, manualClock } from './clock'

export { ADMIN } from '../../src/conformance/fixtures'
export const org = (id: string): Actor => ({ kind: 'organisation', id })

/** A service over a fresh memory store with a manual clock and an event log. */
export function setup(options: Partial<KeycycleOptions> = {}) {
  const store = memoryStore()
  const clock = manualClock()
  const events: KeycycleEvent[] = []
  const kc: Keycycle = createKeycycle({
    store,
    clock,
    onEvent: (event) => {
      events.push(event)
    },
    ...options,
  })
  return { kc, store, clock: clock as ManualClock, events }
}

/** Creates an organisation and returns its ID, actor, first key and token. */
export async function newOrg(kc: Keycycle) {
  const created = await kc.createOrganisation()
  return {
    id: created.organisation.id,
    actor: org(created.organisation.id),
    key: created.key,
    token: created.token,
  }
}
