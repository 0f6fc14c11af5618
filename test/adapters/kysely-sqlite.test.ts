import { shouldRun } from '../conformance/harness'
import { describeStore } from '../conformance/store-suite'
import { describeSqlExtras } from './sql-extras'
import { reachable, sqlHarness } from './sql-harness'

if (await shouldRun('SQLite', () => reachable('sqlite'))) {
  describeStore(sqlHarness('sqlite', 200))
  describeSqlExtras('sqlite')
}
