import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TestRunner } from '../../src/conformance'

/** Vitest's functions, as `describeStore` takes them: the store is opened once per suite. */
export const vitestRunner = { describe, it, expect, beforeAll, afterAll } satisfies TestRunner
