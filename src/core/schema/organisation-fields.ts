import { configId, instant, shown } from './codecs'
import type { Schema } from './field'
import { CONFIG_FIELDS, KEY_FIELDS } from './key-fields'
import { ipList, rateLimitList } from './usage-fields'

/** The organisation resource: the defaults its keys inherit (`docs/decisions.md#resources`). */
export const ORGANISATION_FIELDS = {
  id: { wire: 'id', doc: '`org_` + ULID.', ...shown('string') },
  storageConfig: {
    wire: 'storage_config',
    doc: 'Default for keys without an override; `null` = library default.',
    create: true,
    patch: true,
    nullable: true,
    ...configId,
  },
  webhookConfig: {
    wire: 'webhook_config',
    doc: 'Default for keys without an override; `null` = library default.',
    create: true,
    patch: true,
    nullable: true,
    ...configId,
  },
  config: {
    wire: 'config',
    doc: 'Defaults for key config; `null` clears them all, a `null` field clears one.',
    type: 'object',
    create: true,
    patch: true,
    nullable: true,
    fields: CONFIG_FIELDS,
  },
  rateLimits: {
    wire: 'rate_limits',
    doc: 'Rate limits of the keys whose own are `null`; `null`: none.',
    create: true,
    patch: true,
    admin: true,
    nullable: true,
    ...rateLimitList,
  },
  allowedIps: {
    wire: 'allowed_ips',
    doc: 'Where keys whose own list is `null` may be used from, stored normalised; `null`: anywhere.',
    create: true,
    patch: true,
    admin: true,
    nullable: true,
    ...ipList,
  },
  key: {
    wire: 'key',
    doc: 'Create only: labels of the first standard key (`name`, `description`).',
    type: 'object',
    create: true,
    fields: { name: KEY_FIELDS.name, description: KEY_FIELDS.description },
  },
  createdAt: { wire: 'date_created', doc: 'Creation time.', ...instant },
  modifiedAt: { wire: 'date_modified', doc: 'Time of the last write.', ...instant },
  modifiedBy: { wire: 'modified_by', doc: 'Who wrote last.', ...shown('string') },
  version: { wire: 'version', doc: 'Bumped by every write.', ...shown('integer') },
} as const satisfies Schema
