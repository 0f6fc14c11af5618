import { shouldRun } from '../conformance/harness'
import { describeStore } from '../conformance/store-suite'
import { redisHarness, redisReachable } from './redis-harness'

if (await shouldRun('Redis Cluster', () => redisReachable('cluster'))) {
  describeStore(redisHarness('cluster', 1000))
}
