export type { OutboxEntry } from './memory-outbox'
export type { MemoryStore } from './memory-store'
export { memoryStore } from './memory-store'
