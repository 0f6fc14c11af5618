export type { RedisClient } from './client'
export type { RedisStoreOptions } from './options'
export { REDIS_PREFIX } from './options'
export { redisStore } from './store'
