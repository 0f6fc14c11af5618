// `keycycle`: what a host uses. Store authors import `keycycle/store`; HTTP hosts import
// `keycycle/express`, `keycycle/koa`, `keycycle/fastify`, `keycycle/hono` or `keycycle/fetch`.
export type { KeyConfigPatch } from './core/config'
export type { Pepper, PepperOption } from './core/digest'
export type { KeycycleErrorCode, KeycycleErrorDetails } from './core/errors'
export { KeycycleError } from './core/errors'
export type {
  CreateKeyInput,
  CreateOrganisationInput,
  KeyPatch,
  ListKeysQuery,
  OrganisationPatch,
} from './core/inputs'
export type { ParsedToken } from './core/token'
export { hasValidChecksum, parseToken, TOKEN_PATTERN } from './core/token'
export type {
  Actor,
  ActorKind,
  ConfigId,
  ConfigSource,
  Credits,
  EffectiveConfig,
  EffectiveValue,
  JsonValue,
  Key,
  KeyConfig,
  KeyState,
  KeyType,
  Metadata,
  Organisation,
  RateLimit,
  Slot,
  SystemActor,
  TokenSlot,
} from './core/types'
export type { VerifyOptions } from './core/usage-control'
export type {
  RateLimitState,
  VerifyFailure,
  VerifyFailureCode,
  VerifyResult,
  VerifySuccess,
} from './core/verify-result'
export type { DeleteOptions } from './service/delete-key'
export type {
  EventBase,
  KeycycleEvent,
  KeycycleEventType,
  OrganisationEventBase,
} from './service/events'
export type { ActorHandle } from './service/handle'
export type { KeyWithToken, RotateOptions } from './service/key-commands'
export type { KeyPage } from './service/key-queries'
export type { Keycycle } from './service/keycycle'
export { createKeycycle } from './service/keycycle'
export type { Logger } from './service/logger'
export type { Clock, DispatchOptions, KeycycleOptions, RandomSource } from './service/options'
export type { CreatedOrganisation } from './service/organisation-commands'
export type { DeactivateOptions, ExpireDueOptions } from './service/state-commands'
export type { CacheOptions } from './service/verify/cache'
export type { KeyStore } from './store/port'
