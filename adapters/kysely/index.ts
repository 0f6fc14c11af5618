export type {
  MysqlPool,
  MysqlPoolConnection,
  MysqlPreparedStatement,
  PgNotification,
  PgPool,
  PgPoolClient,
  PgQueryable,
  PgQueryConfig,
  PgQueryResult,
  SqliteConnection,
  SqlitePreparedStatement,
  SqlValue,
} from './drivers'
export { migrateKeycycle } from './migrate'
export type { KyselyMigrateOptions, KyselyStoreOptions } from './options'
export { TABLE_PREFIX } from './options'
export type {
  CountersColumn,
  EventRow,
  ImportedColumn,
  IntColumn,
  KeycycleTables,
  KeyRow,
  NullableIntColumn,
  OrganisationRow,
  UsageRow,
} from './schema'
export {
  type ReusePreparedStatementsOptions,
  reusePreparedStatements,
} from './sqlite-statements'
export { kyselyStore } from './store'
