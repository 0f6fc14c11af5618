import { shouldRun } from '../conformance/harness'
import { describeStore } from '../conformance/store-suite'
import { describeSqlExtras } from './sql-extras'
import { reachable, sqlHarness } from './sql-harness'

if (await shouldRun('MySQL/MariaDB', () => reachable('mysql'))) {
  describeStore(sqlHarness('mysql', 200))
  describeSqlExtras('mysql')
}
