// Figure 16: what usage analytics cost a verification on the memory store, cached and not:
// analytics on (the default: every verification counted in memory, written every
// lastUsedFlushMs) against off (`analytics: { enabled: false }`), taking turns in one group.
// The memory store has no round trip to hide the cost behind: this is its worst case.
import { createKeycycle, type Keycycle } from '../../src/service/keycycle'
import { openBackend } from '../backends'
import { compare, cycle } from '../harness'
import { makeTokens, verifyOk } from '../tokens'
import type { Context } from './context'
import { CACHE } from './verify'

const KEYS = 16

export async function analyticsFigures({ report, timing }: Context): Promise<void> {
  const backend = await openBackend('memory')
  const made: Keycycle[] = []
  const make = (cache: boolean, enabled: boolean) => {
    const kc = createKeycycle({
      store: backend.store,
      ...(cache ? { cache: CACHE } : {}),
      analytics: { enabled },
    })
    made.push(kc)
    return kc
  }
  try {
    for (const cache of [false, true]) {
      const off = make(cache, false)
      const on = make(cache, true)
      const tokens = (await makeTokens(off, KEYS)).valid
      for (const token of tokens) await on.verify(token)
      const label = cache ? 'cached verify' : 'verify'
      console.log(`\n[memory] ${label}: usage analytics on, off`)
      const g = await compare(
        [
          { name: 'off', run: verifyOk(off, cycle(tokens)) },
          { name: 'on', run: verifyOk(on, cycle(tokens)) },
        ],
        timing,
      )
      report.ratio(16, `memory: ${label}, usage analytics on ÷ off`, g, 'on', 'off', {
        atLeast: 0.9,
      })
    }
  } finally {
    for (const kc of made) await kc.close()
    await backend.close()
  }
}
