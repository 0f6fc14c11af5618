// The store author's kit: the port every store implements, and the helpers stores share.
export * from './change-channel'
export * from './change-message'
export * from './port'
