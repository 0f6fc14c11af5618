// The bench's own dependencies (better-auth and its API-key plugin, autocannon) live in
// bench/deps with their own lockfile, installed on first use, so the library's `npm ci` never
// pulls them in. They are loaded by path at run time and typed structurally where used, so the
// type check passes without them installed.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BENCH_DIR } from './paths'

const DIR = join(BENCH_DIR, 'deps')
let installed: Promise<void> | null = null

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'))

// Installed when every dependency is there at the exact version bench/deps/package.json pins.
function upToDate(): boolean {
  const wanted: Record<string, string> = readJson(join(DIR, 'package.json')).dependencies
  return Object.entries(wanted).every(([name, version]) => {
    const manifest = join(DIR, 'node_modules', name, 'package.json')
    return existsSync(manifest) && readJson(manifest).version === version
  })
}

function install(): void {
  if (upToDate()) return
  console.log('installing the bench dependencies: npm --prefix bench/deps ci')
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const result = spawnSync(npm, ['--prefix', DIR, 'ci', '--no-audit', '--no-fund'], {
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  if (result.status !== 0) {
    throw new Error(`npm --prefix bench/deps ci failed (exit ${result.status ?? result.signal})`)
  }
}

/** Imports one of the bench's own dependencies, installing them all first if need be. */
export async function loadDependency<T>(specifier: string): Promise<T> {
  installed ??= Promise.resolve().then(install)
  await installed
  const require = createRequire(join(DIR, 'package.json'))
  return (await import(pathToFileURL(require.resolve(specifier)).href)) as T
}
