// npm run bench — what verification costs, as ratios measured side by side in one run.
// Claims it backs (README "Performance"): a malformed token is rejected without I/O and far
// cheaper than a real check; an unknown key costs about what a wrong secret costs.
import { Bench } from 'tinybench'
import { memoryStore } from '../adapters/memory'
import { createKeycycle } from '../src'

const plain = createKeycycle({ store: memoryStore() })
const peppered = createKeycycle({
  store: memoryStore(),
  pepper: 'a-server-side-pepper-of-32-bytes',
})
const { token } = await plain.createOrganisation()
const pepperedToken = (await peppered.createOrganisation()).token
const other = await createKeycycle({ store: memoryStore() }).createOrganisation()
const tampered = `${token.slice(0, 40)}${token[40] === 'a' ? 'b' : 'a'}${token.slice(41)}`
// Same key, valid checksum, wrong secret: rebuild the checksum so only the digest can reject it.
const { hasValidChecksum } = await import('../src')
const wrongSecret = await (async () => {
  const { mintToken } = await import('../src/core/token')
  const keyId = `key_${token.split('_')[1]}`
  return mintToken('kc', keyId, crypto.getRandomValues(new Uint8Array(32))).token
})()
if (!hasValidChecksum(wrongSecret) || !hasValidChecksum(other.token))
  throw new Error('bad fixtures')

// The core's share alone: digest plus decision, for a record that exists and for none.
const { createDigester } = await import('../src/core/digest')
const { decideVerification } = await import('../src/core/verify')
const { parseToken } = await import('../src/core/token')
const store = memoryStore()
const core = createKeycycle({ store })
const coreOrg = await core.createOrganisation()
const found = await store.getKeyWithOrganisation(coreOrg.key.id)
const digest = createDigester()
const parsedWrong = parseToken(wrongSecret, 'kc')!
const now = Date.now()

const tasks: [string, () => unknown][] = [
  ['valid token (SHA-256)', () => plain.verify(token)],
  ['valid token (HMAC-SHA-256 pepper)', () => peppered.verify(pepperedToken)],
  ['wrong secret, known key', () => plain.verify(wrongSecret)],
  ['unknown key (dummy compare)', () => plain.verify(other.token)],
  ['one character changed (checksum, no I/O)', () => plain.verify(tampered)],
  [
    'core only: wrong secret, known key',
    () => decideVerification(found, digest(parsedWrong.keyId, parsedWrong.secret), now),
  ],
  [
    'core only: unknown key',
    () => decideVerification(null, digest(parsedWrong.keyId, parsedWrong.secret), now),
  ],
]

// Rounds of every task side by side; ratios are taken within a round, then the median over
// rounds is reported, so drift between rounds (GC, JIT, the other core) cancels out.
const ROUNDS = 9
const perRound: number[][] = []
for (let round = 0; round <= ROUNDS; round++) {
  const bench = new Bench({ time: 250, warmupTime: 50 })
  for (const [name, fn] of tasks) bench.add(name, async () => void (await fn()))
  await bench.run()
  const hz = bench.tasks.map(
    (t) => (t.result as { throughput?: { mean: number } }).throughput?.mean ?? 0,
  )
  if (round > 0) perRound.push(hz) // round 0 only warms up
}
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const ratio = (a: number, b: number) => median(perRound.map((hz) => hz[a]! / hz[b]!))

console.log(
  `\nverify() over the memory store: median of ${ROUNDS} rounds, ratio to a valid SHA-256 token\n`,
)
for (const [i, [name]] of tasks.entries()) {
  const ops = Math.round(median(perRound.map((hz) => hz[i]!)))
  console.log(`${name.padEnd(44)} ${ops.toString().padStart(9)} ops/s   ×${ratio(i, 0).toFixed(2)}`)
}
console.log(
  `\nunknown key ÷ wrong secret, end to end: ×${ratio(3, 2).toFixed(2)} (includes the store finding a record or not)`,
)
console.log(
  `unknown key ÷ wrong secret, core only:  ×${ratio(6, 5).toFixed(2)} (1.00 = the same work)`,
)
