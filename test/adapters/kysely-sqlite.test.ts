import { describeStore } from '../../src/conformance'
import { shouldRun } from '../helpers/should-run'
import { vitestRunner } from '../helpers/vitest-runner'
import { sqlExtras } from './sql-extras'
import { reachable, sqlHarness } from './sql-harness'

if (await shouldRun('SQLite', () => reachable('sqlite'))) {
  describeStore(sqlHarness('sqlite', 200), { ...vitestRunner, extras: sqlExtras('sqlite') })
}
