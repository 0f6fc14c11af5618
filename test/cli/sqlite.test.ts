import { describeLifecycle } from './lifecycle'
import { sqliteStore } from './stores'

describeLifecycle(sqliteStore())
