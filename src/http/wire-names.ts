import {
  DEACTIVATE_OPTIONS,
  KEY_FIELDS,
  LIST_QUERY,
  namesWireField,
  ORGANISATION_FIELDS,
  ROTATE_OPTIONS,
  USAGE_QUERY,
  wirePath,
} from '../core/schema'

// Every name a service call can put in an error, with its wire spelling. Where two schemas
// share a name they share its wire name too (`storageConfig` is `storage_config` everywhere).
const ALL_FIELDS = {
  ...LIST_QUERY,
  ...USAGE_QUERY,
  ...ROTATE_OPTIONS,
  ...DEACTIVATE_OPTIONS,
  ...ORGANISATION_FIELDS,
  ...KEY_FIELDS,
}

/**
 * The wire spelling of the field an error names (`KeycycleError.details.field`):
 * `expiresAt` → `date_expires`, `config.publishSourceFiles` → `config.publish_source_files`,
 * `permissions[3]` stays indexed. Derived from the field schemas. Errors raised while reading
 * wire input name the wire field already and are returned as they are.
 */
export function wireFieldPath(field: string, error?: unknown): string {
  return namesWireField(error) ? field : wirePath(ALL_FIELDS, field)
}
