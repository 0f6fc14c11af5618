// `keycycle/store`: what a store author needs — the port and its records and queries, the
// helpers stores share (the change-channel loop, the deadline policy, the decoy), and the
// suite to pass is `keycycle/conformance`.
export type {
  BucketCounter,
  BucketRule,
  BucketState,
  CounterState,
  CreditBalance,
  CreditsRule,
  SpendOutcome,
  SpendPlan,
  SpendResult,
} from '../core/counters'
export { balanceAt, NO_COUNTERS, nextRefill, spendCounters } from '../core/counters'
export { KeycycleError } from '../core/errors'
export { effectiveState } from '../core/expiry'
export type { StateClause } from '../core/filters'
export { matchesClause, matchesFilter } from '../core/filters'
export { deepFreeze } from '../core/freeze'
export { IMPORTED_PEPPER, importedHexOfRecord } from '../core/imported'
export type { UsageCount, UsageOutcome } from '../core/key-usage'
export { USAGE_OUTCOMES } from '../core/key-usage'
export type { KeyRecord, RetiringToken, SlotRecord, StoredCredits } from '../core/types'
export type {
  ChangeChannelOptions,
  ChannelBackend,
  ChannelEvents,
} from './change-channel'
export { retryDelayMs, watchChangeChannel } from './change-channel'
export { changeMessage, changePrefix, parseChange } from './change-message'
export {
  DEFAULT_STORE_TIMEOUT_MS,
  deadlineOf,
  fault,
  LATE_REPLY_MS,
  pause,
  remainingMs,
  retryPauseMs,
  untilDeadline,
  withDeadline,
} from './deadline'
export { decoyRecords } from './decoy'
export type {
  AddUsageOptions,
  CallOptions,
  ChangeFeed,
  ClaimedEvent,
  ClaimQuery,
  DueKeysQuery,
  EventSettlement,
  InsertKeyOptions,
  KeyListQuery,
  KeyStore,
  KeyWithOrganisation,
  OutboxBacklog,
  OutboxEvent,
  SpendAnswer,
  SpendRequest,
  StoreChange,
  Subscription,
  WatchOptions,
  WriteOptions,
} from './port'
