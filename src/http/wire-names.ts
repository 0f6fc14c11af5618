import { snakeCase } from './status'

/**
 * The wire spelling of a domain field path as `KeycycleError.details.field` carries it
 * (`expiresAt` → `date_expires`, `config.publishSourceFiles` → `config.publish_source_files`,
 * `permissions[3]` stays indexed). Derived from the field schema.
 */
export function wireFieldPath(field: string): string {
  // Placeholder until the field schema lands: camelCase → snake_case.
  return snakeCase(field)
}
