import { describeLifecycle } from './lifecycle'
import { postgresStore } from './stores'

describeLifecycle(postgresStore())
