import { defineConfig } from 'vitest/config'

// Test folders (under test/) by the global setups their tests need. A project's setups run only
// when one of its files is selected, so `vitest run test/core` neither builds dist/ nor starts
// the Redis Cluster. A folder named in none of these lists gets every setup: add it to the list
// that fits once it is known to need less.
const NEEDS_NOTHING = ['core', 'service', 'store', 'webhooks']
const NEEDS_BUILD = ['packaging', 'http', 'openapi', 'cli', 'crash'] // dist/, from test/setup/build.ts
const NEEDS_CLUSTER = ['adapters'] // the Redis Cluster, from test/setup/redis-cluster.ts

const BUILD = 'test/setup/build.ts'
const CLUSTER = 'test/setup/redis-cluster.ts'
const tests = (folders: string[]) => folders.map((folder) => `test/${folder}/**/*.test.ts`)

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: tests(NEEDS_NOTHING) } },
      { extends: true, test: { name: 'built', include: tests(NEEDS_BUILD), globalSetup: [BUILD] } },
      {
        extends: true,
        test: { name: 'cluster', include: tests(NEEDS_CLUSTER), globalSetup: [CLUSTER] },
      },
      {
        extends: true,
        test: {
          name: 'other',
          include: ['test/**/*.test.ts'],
          exclude: tests([...NEEDS_NOTHING, ...NEEDS_BUILD, ...NEEDS_CLUSTER]),
          globalSetup: [BUILD, CLUSTER],
        },
      },
    ],
  },
})
