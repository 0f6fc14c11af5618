import type { KeyStore } from '../../src/store'

/**
 * The store without its optional synchronous read, so that every read — verification's too —
 * goes through `getKeyWithOrganisation`: for tests that make that method hang or fail.
 */
export function asyncOnly<S extends KeyStore>(store: S): Omit<S, 'getKeyWithOrganisationSync'> {
  const { getKeyWithOrganisationSync: _, ...rest } = store
  return rest
}
