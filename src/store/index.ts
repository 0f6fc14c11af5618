// The store author's kit: the port every store implements, and the helpers stores share.
export * from './port'
