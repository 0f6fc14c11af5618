import { describeStore } from '../../src/conformance'
import { shouldRun } from '../helpers/should-run'
import { vitestRunner } from '../helpers/vitest-runner'
import { describeChannelFaults } from './channel-faults'
import { redisChannelHarness } from './redis-channel'
import { redisExtras } from './redis-extras'
import { redisHarness, redisReachable } from './redis-harness'

if (await shouldRun('Redis', () => redisReachable('standalone'))) {
  describeStore(redisHarness('standalone', 1000), {
    ...vitestRunner,
    extras: redisExtras('standalone'),
  })
  describeChannelFaults(redisChannelHarness)
}
