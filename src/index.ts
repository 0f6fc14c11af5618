export type { KeyConfigPatch } from './core/config'
export { LIBRARY_DEFAULTS } from './core/config'
export type { HashFunctions, Pepper, PepperOption } from './core/digest'
export type { KeycycleErrorCode, KeycycleErrorDetails } from './core/errors'
export { ERROR_STATUS, KeycycleError } from './core/errors'
export { effectiveState } from './core/expiry'
export type { StateClause } from './core/filters'
export { matchesClause, matchesFilter } from './core/filters'
export type {
  CreateKeyInput,
  CreateOrganisationInput,
  KeyPatch,
  ListKeysQuery,
  OrganisationPatch,
} from './core/inputs'
export { DEFAULT_TRIAL_DURATION_MS } from './core/keys'
export { DEFAULT_GRACE_PERIOD_MS } from './core/rotation'
export { DEFAULT_EXPIRING_LEAD_MS } from './core/schedule'
export type { Field, InputMode, Schema } from './core/schema'
export {
  CONFIG_FIELDS,
  DEFAULT_LIST_LIMIT,
  KEY_FIELDS,
  MAX_LIST_LIMIT,
  ORGANISATION_FIELDS,
  SLOT_FIELDS,
} from './core/schema'
export type { KeyAction, TransitionRule } from './core/states'
export { STATE_TABLE } from './core/states'
export type { ParsedToken } from './core/token'
export { hasValidChecksum, parseToken, TOKEN_PATTERN } from './core/token'
export type {
  Actor,
  ActorKind,
  ConfigId,
  ConfigSource,
  EffectiveConfig,
  EffectiveValue,
  JsonValue,
  Key,
  KeyConfig,
  KeyRecord,
  KeyState,
  KeyType,
  Metadata,
  Organisation,
  RetiringToken,
  Slot,
  SlotRecord,
  SystemActor,
  TokenSlot,
} from './core/types'
export { KEY_STATES, KEY_TYPES, SLOTS } from './core/types'
export type {
  VerifyFailure,
  VerifyFailureCode,
  VerifyResult,
  VerifySuccess,
} from './core/verify-result'
export type { DeleteOptions } from './service/delete-key'
export type {
  EventBase,
  EventEnvelope,
  KeycycleEvent,
  KeycycleEventType,
  OrganisationEventBase,
} from './service/events'
export type { ActorHandle } from './service/handle'
export type { KeyWithToken, RotateOptions } from './service/key-commands'
export type { KeyPage } from './service/key-queries'
export type { Keycycle } from './service/keycycle'
export { createKeycycle } from './service/keycycle'
export type { Clock, DispatchOptions, KeycycleOptions, RandomSource } from './service/options'
export type { CreatedOrganisation } from './service/organisation-commands'
export type { DeactivateOptions, ExpireDueOptions } from './service/state-commands'
export type { CacheOptions } from './service/verify/cache'
export type { ErrorCode, HttpOnlyErrorCode, RefusedCredentialCode } from './status'
export type {
  ChangeFeed,
  ClaimedEvent,
  ClaimQuery,
  DueKeysQuery,
  EventSettlement,
  InsertKeyOptions,
  KeyListQuery,
  KeyStore,
  KeyWithOrganisation,
  OutboxEvent,
  StoreChange,
  Subscription,
  WatchOptions,
  WriteOptions,
} from './store'
