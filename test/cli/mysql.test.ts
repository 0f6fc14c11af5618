import { describeLifecycle } from './lifecycle'
import { mysqlStore } from './stores'

describeLifecycle(mysqlStore())
