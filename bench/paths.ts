// Where the bench lives. `npm run bench` runs an esbuild bundle of it (see start.mjs), which
// defines KEYCYCLE_BENCH_DIR; the sources also run as they are under tsx
// (`node --import tsx bench/run.ts`), a few percent slower.
import { type ChildProcess, fork } from 'node:child_process'
import { dirname, join } from 'node:path'

declare const KEYCYCLE_BENCH_DIR: string | undefined

/** True when running from the bundle rather than the TypeScript sources. */
export const BUNDLED = typeof KEYCYCLE_BENCH_DIR === 'string'
/** The bench/ folder. */
export const BENCH_DIR = BUNDLED ? (KEYCYCLE_BENCH_DIR as string) : import.meta.dirname
/** The repository root. */
export const ROOT_DIR = dirname(BENCH_DIR)

/**
 * Forks one of the bench's own programs (`http-server`, `redis-loader`): the bundled one beside
 * this bundle, or the TypeScript source under tsx. Its stdout and stderr are the bench's.
 */
export function forkProgram(name: 'http-server' | 'redis-loader', args: string[]): ChildProcess {
  const [script, execArgv] = BUNDLED
    ? [join(import.meta.dirname, `${name}.mjs`), []]
    : [join(BENCH_DIR, `${name}.ts`), ['--import', 'tsx']]
  return fork(script, args, {
    execArgv,
    cwd: ROOT_DIR,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
}
