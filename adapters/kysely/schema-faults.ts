import { KeycycleError } from '../../src/core/errors'
import type { KeyStore } from '../../src/store'
import { isMissingSchema } from './sql-errors'

/**
 * `error` as the store reports it: a driver error showing that a table or column is missing
 * (see {@link isMissingSchema}) becomes `KeycycleError('misconfigured')`, whose message names
 * the table prefix in use and `migrateKeycycle`, with the driver's error as `cause`. Anything
 * else is returned unchanged.
 */
export function schemaFault(error: unknown, prefix: string): unknown {
  if (!isMissingSchema(error)) return error
  return new KeycycleError(
    'misconfigured',
    `keycycle's tables with the prefix "${prefix}" are missing or of another shape: run ` +
      `migrateKeycycle(db, { tablePrefix: '${prefix}' }) (CLI: keycycle migrate --prefix ` +
      `${prefix}), or give kyselyStore the tablePrefix the database was migrated with`,
    { cause: error },
  )
}

// The verification reads, which report schema faults in their own catch (see store.ts): an
// extra async layer would cost every verification a promise, and would make the synchronous
// read answer a promise.
const REPORT_THEMSELVES = new Set(['getKeyWithOrganisation', 'getKeyWithOrganisationSync'])

/**
 * `store` with every promise-returning method but the verification read rejecting with
 * {@link schemaFault}'s answer. The service passes a `KeycycleError` through unchanged, so a
 * missing migration (or a `tablePrefix` other than the one migrated) reaches the host as
 * `misconfigured`, not as an `unavailable` that invites retrying forever.
 */
export function reportingSchemaFaults(store: KeyStore, prefix: string): KeyStore {
  const reporting: Record<string, unknown> = { ...store }
  for (const [name, method] of Object.entries(store)) {
    if (REPORT_THEMSELVES.has(name) || typeof method !== 'function') continue
    reporting[name] = async (...args: unknown[]) => {
      try {
        return await method.apply(store, args)
      } catch (error) {
        throw schemaFault(error, prefix)
      }
    }
  }
  return reporting as unknown as KeyStore
}
