// A service instance that is killed (SIGKILL) by the crash test at a chosen moment.
// argv: <store spec JSON> <mode> [organisation key]
//  - mode "commit": rotates the key with events recorded and no dispatcher, prints
//    "committed", then idles until killed: the event is in the outbox, undelivered.
//  - mode "deliver": runs a dispatcher whose onEvent never settles; prints "delivering <id>"
//    once it holds an event (its claim lapses after 300 ms), then idles until killed.
//  - mode "usage" (argv: … usage <token>): verifies the token 5 times, flushes, verifies it 3
//    more times (an hour's flush interval: never written), prints "counted", idles until killed.
import { createKeycycle } from '../../dist/index.js'
import { openStore } from './open-store.mjs'

const [spec, mode, organisation, key] = process.argv.slice(2)
const { store } = await openStore(JSON.parse(spec))
if (mode === 'usage') {
  const token = organisation
  const kc = createKeycycle({ store, lastUsedFlushMs: 3_600_000 })
  for (let i = 0; i < 5; i++) await kc.verify(token)
  await kc.flushUsage()
  for (let i = 0; i < 3; i++) await kc.verify(token)
  console.log('counted')
} else if (mode === 'commit') {
  const kc = createKeycycle({ store, recordEvents: true })
  await kc.asOrganisation(organisation).rotateKey(key)
  console.log('committed')
} else {
  createKeycycle({
    store,
    onEvent: (event) => {
      console.log(`delivering ${event.id}`)
      return new Promise(() => {})
    },
    dispatch: { pollMs: 20, leaseMs: 300, deliveryTimeoutMs: 299 },
  })
}
setInterval(() => {}, 1000)
