export type { RedisClient } from './client'
export type { RedisStoreOptions } from './store'
export { redisStore } from './store'
