import { describeLifecycle } from './lifecycle'
import { redisStore } from './stores'

describeLifecycle(redisStore())
