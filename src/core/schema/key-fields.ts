import { KEY_STATES, KEY_TYPES } from '../types'
import {
  boolean,
  configId,
  instant,
  jsonObject,
  oneOf,
  permissions,
  settableInstant,
  shown,
  text,
} from './codecs'
import type { Schema } from './field'
import { MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH } from './limits'
import { CREDITS_FIELDS, ipList, rateLimitList } from './usage-fields'

/** Key-level settings (`config`): each an override of the organisation default. */
export const CONFIG_FIELDS = {
  publishSourceFiles: {
    wire: 'publish_source_files',
    doc: 'Whether source files are published. Library default `false`.',
    create: true,
    patch: true,
    nullable: true,
    ...boolean,
  },
} as const satisfies Schema

/** A token slot as reads show it: never the token, only its hint. */
export const SLOT_FIELDS = {
  hint: {
    wire: 'hint',
    doc: '`*****` plus the last four characters of the token.',
    ...shown('string'),
  },
  rotatedAt: {
    wire: 'date_rotated',
    doc: 'When the current token of this slot was minted.',
    ...instant,
  },
  retiringUntil: {
    wire: 'date_retiring_until',
    doc: 'Until when the previous token still verifies; null when none does.',
    ...instant,
    type: 'ISO 8601 date-time | null',
  },
  lastUsedAt: {
    wire: 'date_last_used',
    doc: 'Last successful verification of the current token (to the flush interval); null if never.',
    ...instant,
    type: 'ISO 8601 date-time | null',
  },
  retiringLastUsedAt: {
    wire: 'date_retiring_last_used',
    doc: 'Last successful verification of the retiring token; null if none or never.',
    ...instant,
    type: 'ISO 8601 date-time | null',
  },
} as const satisfies Schema

/** The key resource (`docs/decisions.md#resources`), in the order the wire shows it. */
export const KEY_FIELDS = {
  id: {
    wire: 'id',
    ncp: 'apiKeyId',
    doc: "`key_` + ULID; stable for the key's life.",
    ...shown('string'),
  },
  organisation: {
    wire: 'organisation',
    ncp: 'tenantId',
    doc: 'Owning organisation ID. On create, admins name it; organisations get their own.',
    create: true,
    ...shown('string'),
  },
  type: {
    wire: 'type',
    doc: 'Trial keys are granted by an admin for a while.',
    create: true,
    admin: true,
    ...oneOf(KEY_TYPES),
  },
  state: { wire: 'state', doc: 'Effective state at the time of the read.', ...oneOf(KEY_STATES) },
  name: {
    wire: 'name',
    ncp: 'apiKeyName',
    doc: 'Label.',
    create: true,
    patch: true,
    nullable: true,
    ...text(MAX_NAME_LENGTH),
  },
  description: {
    wire: 'description',
    ncp: 'apiKeyDescription',
    doc: 'Label.',
    create: true,
    patch: true,
    nullable: true,
    ...text(MAX_DESCRIPTION_LENGTH),
  },
  config: {
    wire: 'config',
    doc: 'Key-level overrides; `null` in a patch clears them all, a `null` field clears one.',
    type: 'object',
    create: true,
    patch: true,
    nullable: true,
    fields: CONFIG_FIELDS,
  },
  storageConfig: {
    wire: 'storage_config',
    doc: 'Override of the organisation default; `null` = use the default.',
    create: true,
    patch: true,
    nullable: true,
    ...configId,
  },
  webhookConfig: {
    wire: 'webhook_config',
    doc: 'Override of the organisation default; `null` = use the default.',
    create: true,
    patch: true,
    nullable: true,
    ...configId,
  },
  permissions: {
    wire: 'permissions',
    doc: 'Granted permissions; duplicates dropped.',
    create: true,
    patch: true,
    admin: true,
    ...permissions,
  },
  metadata: {
    wire: 'metadata',
    doc: 'Host-defined data, returned by reads and by verify; `null` clears it; replaced whole.',
    create: true,
    patch: true,
    nullable: true,
    ...jsonObject,
  },
  rateLimits: {
    wire: 'rate_limits',
    doc: "The key's rate limits; `[]`: none of its own (the organisation's do not apply); `null`: use the organisation's.",
    create: true,
    patch: true,
    admin: true,
    nullable: true,
    ...rateLimitList,
  },
  credits: {
    wire: 'credits',
    doc: 'What verifications spend (their `cost`); `null`: unlimited. In an update, an absent `remaining` or `refill` is kept.',
    type: 'credits',
    create: true,
    patch: true,
    admin: true,
    nullable: true,
    fields: CREDITS_FIELDS,
  },
  allowedIps: {
    wire: 'allowed_ips',
    doc: "Where the key may be used from, stored normalised; `null`: use the organisation's (none there: anywhere).",
    create: true,
    patch: true,
    admin: true,
    nullable: true,
    ...ipList,
  },
  signing: {
    wire: 'signing',
    doc: "The key's tokens are kept sealed so that requests signed with them (NCP signature v2) verify; needs the host's `secretEncryption`. Changed by a rotation.",
    create: true,
    ...boolean,
  },
  signatureOnly: {
    wire: 'signature_only',
    doc: "A signing key's token is refused as a bearer credential: signed requests only.",
    create: true,
    patch: true,
    ...boolean,
  },
  createdAt: { wire: 'date_created', doc: 'Creation time.', ...instant },
  modifiedAt: { wire: 'date_modified', ncp: 'modTime', doc: 'Time of the last write.', ...instant },
  modifiedBy: {
    wire: 'modified_by',
    ncp: 'modifier',
    doc: '`organisation:<id>`, `admin:<id>` or `system`.',
    ...shown('string'),
  },
  expiresAt: {
    wire: 'date_expires',
    doc: 'Expiry; must be in the future. On an expired key, a later date re-activates it (admin).',
    create: true,
    patch: true,
    admin: true,
    nullable: true,
    ...settableInstant,
    type: 'ISO 8601 date-time | null',
  },
  primary: { wire: 'primary', doc: 'The primary token slot.', type: 'slot', fields: SLOT_FIELDS },
  secondary: {
    wire: 'secondary',
    doc: 'The secondary token slot; null until created.',
    type: 'slot | null',
    fields: SLOT_FIELDS,
  },
  version: { wire: 'version', doc: 'Bumped by every write.', ...shown('integer') },
} as const satisfies Schema
