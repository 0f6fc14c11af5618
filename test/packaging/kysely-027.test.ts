import { execFileSync } from 'node:child_process'
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { migrations } from '../../adapters/kysely/migrations'
import { tableNames } from '../../adapters/kysely/schema'

const ROOT = join(import.meta.dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'keycycle-kysely027-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// The suites run kysely 0.28 (0.29 needs Node 22). This loads the built `keycycle/kysely` in a
// project whose `kysely` is 0.27, the lowest supported, and runs a key's life on SQLite.
it('keycycle/kysely works with a host on kysely 0.27', () => {
  const modules = join(dir, 'node_modules')
  // A copy, not a link: Node resolves a linked package's imports from its real path.
  mkdirSync(join(modules, 'keycycle'), { recursive: true })
  cpSync(join(ROOT, 'dist'), join(modules, 'keycycle', 'dist'), { recursive: true })
  cpSync(join(ROOT, 'package.json'), join(modules, 'keycycle', 'package.json'))
  // The package's own runtime dependencies, whatever they are today, plus the host's choices.
  const { dependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>
  }
  for (const [name, target] of [
    ...Object.keys(dependencies).map((dep) => [dep, dep]),
    ['kysely', 'kysely-027'],
    ['better-sqlite3', 'better-sqlite3'],
  ] as const) {
    mkdirSync(join(modules, name, '..'), { recursive: true })
    symlinkSync(join(ROOT, 'node_modules', target), join(modules, name))
  }
  writeFileSync(
    join(dir, 'run.mjs'),
    `import Database from 'better-sqlite3'
import { Kysely, SqliteDialect } from 'kysely'
import { readFileSync } from 'node:fs'
import { createKeycycle } from 'keycycle'
import { kyselyStore, migrateKeycycle } from 'keycycle/kysely'
const version = JSON.parse(readFileSync('node_modules/kysely/package.json', 'utf8')).version
const db = new Kysely({ dialect: new SqliteDialect({ database: new Database(':memory:') }) })
const applied = await migrateKeycycle(db)
await migrateKeycycle(db)
const kc = createKeycycle({ store: kyselyStore(db) })
const { organisation, key, token } = await kc.createOrganisation({ storageConfig: 2 })
const me = { kind: 'organisation', id: organisation.id }
const rotated = await kc.as(me).rotateKey(key.id, { force: true })
const page = await kc.as(me).listKeys({ organisation: organisation.id, state: 'active' })
console.log(JSON.stringify({
  version,
  applied: applied.length,
  old: (await kc.verify(token)).ok,
  fresh: (await kc.verify(rotated.token)).ok,
  listed: page.data.length,
  storage: (await kc.resolveConfig(key.id)).storageConfig.value,
}))`,
  )
  const out = JSON.parse(
    execFileSync(process.execPath, ['run.mjs'], { cwd: dir, encoding: 'utf8' }),
  )
  expect(out).toEqual({
    version: '0.27.6',
    applied: Object.keys(migrations(tableNames('keycycle_'))).length, // every migration, on 0.27
    old: false,
    fresh: true,
    listed: 1,
    storage: 2,
  })
})
