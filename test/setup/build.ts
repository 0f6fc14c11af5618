import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

// Global setups run once per vitest project, in the one main process: this flag keeps a run
// whose selected files span several projects that list this setup to a single build.
const BUILT = Symbol.for('keycycle.test.dist-built')

/** Builds `dist/` once for the tests that load the package as users do (packaging, example). */
export default function setup(): void {
  const flags = globalThis as { [BUILT]?: boolean }
  if (flags[BUILT]) return
  try {
    execFileSync('npm', ['run', 'build'], {
      cwd: join(import.meta.dirname, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    })
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
    throw new Error(`npm run build failed:\n${`${stdout}\n${stderr}`.trim().slice(-4000)}`)
  }
  flags[BUILT] = true
}
