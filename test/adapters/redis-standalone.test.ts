import { shouldRun } from '../conformance/harness'
import { describeStore } from '../conformance/store-suite'
import { redisHarness, redisReachable } from './redis-harness'

if (await shouldRun('Redis', () => redisReachable('standalone'))) {
  describeStore(redisHarness('standalone', 1000))
  await import('./redis-extras')
}
