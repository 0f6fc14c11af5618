import type { Cluster, Redis } from 'ioredis'
import { KeycycleError } from '../../src/core/errors'
import { untilDeadline } from '../../src/store/deadline'

/** The host's ioredis client: a standalone `Redis` or a `Cluster`. */
export type RedisClient = Redis | Cluster

/** The subset of ioredis commands the store sends, typed narrowly. */
export interface Commands {
  status: string
  get(key: string): Promise<string | null>
  set(key: string, value: string): Promise<unknown>
  hget(key: string, field: string): Promise<string | null>
  hmget(key: string, ...fields: string[]): Promise<(string | null)[]>
  hset(key: string, ...fieldsAndValues: string[]): Promise<number>
  zadd(key: string, ...args: (string | number)[]): Promise<unknown>
  zrem(key: string, ...members: string[]): Promise<number>
  zrangebylex(
    key: string,
    min: string,
    max: string,
    limit: 'LIMIT',
    offset: number,
    count: number,
  ): Promise<string[]>
  zrevrangebylex(
    key: string,
    max: string,
    min: string,
    limit: 'LIMIT',
    offset: number,
    count: number,
  ): Promise<string[]>
  zrangebyscore(
    key: string,
    min: string | number,
    max: string | number,
    scores: 'WITHSCORES',
    limit: 'LIMIT',
    offset: number,
    count: number,
  ): Promise<string[]>
  del(...keys: string[]): Promise<number>
  evalsha(sha: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>
}

/**
 * Runs one store call against Redis by `deadline` (epoch ms, real clock). A client that has
 * ended fails at once; a disconnected one (ioredis queues commands while reconnecting) fails at
 * the deadline. Either way the caller gets `unavailable`, never a hang and never a made-up
 * answer.
 */
export function redisCall<T>(
  commands: Commands,
  method: string,
  deadline: number,
  work: () => Promise<T>,
): Promise<T> {
  return endedClient(commands, method) ?? untilDeadline(`redis: ${method}`, deadline, work)
}

/** A rejection with `unavailable` if the client has ended (the host quit it), else null. */
export function endedClient(commands: Commands, method: string): Promise<never> | null {
  if (commands.status !== 'end') return null
  return Promise.reject(
    new KeycycleError('unavailable', `redis: ${method}: the client connection has ended`),
  )
}
