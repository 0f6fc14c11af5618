// `npm run bench`: bundles the bench with esbuild and runs the bundle, so that what is timed is
// the library as tsup ships it (plain ES2022, no tsx transform and no keepNames wrappers, which
// cost several percent of a verification), built from the working tree as it is now. The bundle
// goes to node_modules/.cache (ignored by git and Biome), whence the library's own dependencies
// resolve as usual. Node's flags come from the npm script (--expose-gc for the heap figure).
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const bench = resolve(fileURLToPath(new URL('.', import.meta.url)))
const output = new URL('../node_modules/.cache/keycycle-bench/', import.meta.url)
const outdir = fileURLToPath(output)
await build({
  entryPoints: ['run.ts', 'http-server.ts', 'redis-loader.ts'].map((file) => resolve(bench, file)),
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  define: { KEYCYCLE_BENCH_DIR: JSON.stringify(bench) },
  logLevel: 'warning',
})
await import(new URL('run.mjs', output).href)
