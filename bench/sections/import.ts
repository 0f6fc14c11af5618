// Figure 17 for one store: imported tokens (docs/decisions.md#importing-keys). An old-format
// token nobody imported costs what one imported and since rotated away does (figure 7's pair
// for imported tokens: both are looked up, read and decoded, and refused at the comparison; on
// Redis the second finds a stale index entry and reads its key). Shown with no target: an
// imported token of a deactivated key (matched, then refused by state) and a valid imported
// token beside a keycycle token (Redis takes two round trips, SQL one).

import { randomBytes } from 'node:crypto'
import { createKeycycle, type Keycycle } from '../../src/service/keycycle'
import { type Backend, openBackend, type StoreName } from '../backends'
import { compare, cycle } from '../harness'
import type { Target } from '../report'
import { makeTokens, verifyOk, verifyRefused } from '../tokens'
import { type Context, reason } from './context'

const FIXTURES = 16
const PARITY: Target = { between: [0.9, 1.1] }

const oldToken = () => `sk_live_${randomBytes(24).toString('base64url')}`

export async function importFigures(name: StoreName, ctx: Context): Promise<void> {
  let backend: Backend
  try {
    backend = await openBackend(name)
  } catch (error) {
    return ctx.report.skip(`${name}: figure 17`, `cannot reach the server (${reason(error)})`)
  }
  const kc = createKeycycle({ store: backend.store, importedTokens: true })
  try {
    await measure(name, kc, ctx)
  } finally {
    await kc.close()
    await backend.close()
  }
}

async function measure(name: StoreName, kc: Keycycle, { report, timing }: Context) {
  const admin = kc.asAdmin('bench')
  const keycycle = await makeTokens(kc, FIXTURES)
  const imported: string[] = []
  const rotatedAway: string[] = []
  const unknown: string[] = []
  const deactivated: string[] = []
  for (let i = 0; i < FIXTURES; i++) {
    const { organisation } = await kc.createOrganisation()
    const live = oldToken()
    await admin.importKey({ organisation: organisation.id, token: live, name: `imported ${i}` })
    imported.push(live)
    const gone = oldToken()
    const { key } = await admin.importKey({ organisation: organisation.id, token: gone })
    await admin.rotateKey(key.id, { force: true })
    rotatedAway.push(gone)
    unknown.push(oldToken())
    const off = oldToken()
    const made = await admin.importKey({ organisation: organisation.id, token: off })
    await admin.deactivateKey(made.key.id)
    deactivated.push(off)
  }
  for (const [list, ok] of [
    [imported, true],
    [rotatedAway, false],
    [unknown, false],
    [deactivated, false],
  ] as const) {
    for (const token of list) {
      if ((await kc.verify(token)).ok !== ok)
        throw new Error('fixture: an imported token misbehaved')
    }
  }
  console.log(`\n[${name}] imported tokens: unknown vs found and refused, imported vs keycycle's`)
  const g = await compare(
    [
      { name: 'unknown old token', run: verifyRefused(kc, cycle(unknown)) },
      { name: 'found, deactivated', run: verifyRefused(kc, cycle(deactivated)) },
      { name: 'rotated away', run: verifyRefused(kc, cycle(rotatedAway)) },
      { name: 'imported', run: verifyOk(kc, cycle(imported)) },
      { name: 'keycycle token', run: verifyOk(kc, cycle(keycycle.valid)) },
    ],
    timing,
  )
  const found = 'found, deactivated'
  const unknownToken = 'unknown old token'
  // A state is told only once the token matched (as for keycycle's own): more work than a
  // refusal at the comparison, by design, so shown without a target.
  report.ratio(17, `${name}: unknown old token ÷ imported, deactivated`, g, unknownToken, found, {
    none: true,
  })
  report.ratio(
    17,
    `${name}: unknown old token ÷ rotated away`,
    g,
    'unknown old token',
    'rotated away',
    PARITY,
  )
  report.ratio(17, `${name}: imported ÷ keycycle token`, g, 'imported', 'keycycle token', {
    none: true,
  })
}
