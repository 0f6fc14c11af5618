import { writeFileSync } from 'node:fs'
import { defineConfig } from 'tsup'
import { routeTable } from './src/http/routes'
import { openApiDocument } from './src/openapi'

/** Public entry points: `keycycle` and `keycycle/<name>`. */
export const entries = {
  index: 'src/index.ts',
  store: 'src/store/index.ts',
  memory: 'adapters/memory/index.ts',
  kysely: 'adapters/kysely/index.ts',
  redis: 'adapters/redis/index.ts',
  express: 'src/express.ts',
  koa: 'src/koa.ts',
  fastify: 'src/fastify.ts',
  hono: 'src/hono.ts',
  fetch: 'src/fetch.ts',
  conformance: 'src/conformance/index.ts',
  webhooks: 'src/webhooks/index.ts',
  sign: 'src/sign.ts',
  'secret-scanning': 'src/secret-scanning/index.ts',
}

const { sign, ...shared } = entries

export default defineConfig([
  {
    // The `keycycle` binary (package.json `bin`) is built beside the entries, not one of them.
    entry: { ...shared, cli: 'src/cli/main.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    // Shared chunks for both formats, so every subpath uses the same KeycycleError class.
    splitting: true,
    sourcemap: true,
    // Not cleaned here: tsup cleans declarations when a config's own declaration build starts,
    // which would take the sign build's. `npm run build` empties dist/ first.
    clean: false,
    target: 'node20',
    treeshake: true,
    // `keycycle/openapi.json`: the management API's document, generated from the route table and
    // the field schema at every build.
    onSuccess: async () => {
      writeFileSync(
        'dist/openapi.json',
        `${JSON.stringify(openApiDocument(routeTable()), null, 2)}\n`,
      )
    },
  },
  // `keycycle/sign` runs in browsers and edge runtimes on its own: one file, no shared chunk.
  {
    entry: { sign },
    format: ['esm', 'cjs'],
    dts: true,
    splitting: false,
    sourcemap: true,
    clean: false,
    target: 'es2022',
    treeshake: true,
  },
])
