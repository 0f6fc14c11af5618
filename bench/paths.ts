// Where the bench lives. `npm run bench` runs an esbuild bundle of it (see start.mjs), which
// defines KEYCYCLE_BENCH_DIR; the sources also run as they are under tsx
// (`node --import tsx bench/run.ts`), a few percent slower.
import { dirname, join } from 'node:path'

declare const KEYCYCLE_BENCH_DIR: string | undefined

/** True when running from the bundle rather than the TypeScript sources. */
export const BUNDLED = typeof KEYCYCLE_BENCH_DIR === 'string'
/** The bench/ folder. */
export const BENCH_DIR = BUNDLED ? (KEYCYCLE_BENCH_DIR as string) : import.meta.dirname
/** The repository root. */
export const ROOT_DIR = dirname(BENCH_DIR)

/** How to start the HTTP figure's server process: its script and Node's flags. */
export const HTTP_SERVER = BUNDLED
  ? { script: join(import.meta.dirname, 'http-server.mjs'), execArgv: [] as string[] }
  : { script: join(BENCH_DIR, 'http-server.ts'), execArgv: ['--import', 'tsx'] }
