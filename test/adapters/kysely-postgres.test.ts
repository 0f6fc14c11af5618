import { shouldRun } from '../conformance/harness'
import { describeStore } from '../conformance/store-suite'
import { describeSqlExtras } from './sql-extras'
import { reachable, sqlHarness } from './sql-harness'

if (await shouldRun('PostgreSQL', () => reachable('postgres'))) {
  describeStore(sqlHarness('postgres', 200))
  describeSqlExtras('postgres')
}
