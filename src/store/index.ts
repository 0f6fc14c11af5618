// The store author's kit: the port every store implements, and the helpers stores share.
export * from './change-channel'
export * from './change-message'
export {
  DEFAULT_STORE_TIMEOUT_MS,
  deadlineOf,
  FENCE_GRACE_MS,
  fault,
  isPromiseLike,
  LATE_REPLY_MS,
  pause,
  remainingMs,
  retryPauseMs,
  untilDeadline,
  withDeadline,
} from './deadline'
export { decoyRecords } from './decoy'
export * from './port'
