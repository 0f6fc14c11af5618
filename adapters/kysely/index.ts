export type { KyselyStoreOptions } from './migrate'
export { migrateKeycycle } from './migrate'
export type { KeycycleTables, KeyRow, OrganisationRow } from './schema'
export { kyselyStore } from './store'
