import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

/** Builds `dist/` once for the tests that load the package as users do (packaging, example). */
export default function setup(): void {
  execFileSync('npm', ['run', 'build'], {
    cwd: join(import.meta.dirname, '../..'),
    stdio: 'ignore',
  })
}
