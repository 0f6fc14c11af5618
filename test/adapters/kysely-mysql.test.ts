import { describeStore } from '../../src/conformance'
import { shouldRun } from '../helpers/should-run'
import { vitestRunner } from '../helpers/vitest-runner'
import { sqlExtras } from './sql-extras'
import { reachable, sqlHarness } from './sql-harness'

if (await shouldRun('MySQL/MariaDB', () => reachable('mysql'))) {
  describeStore(sqlHarness('mysql', 200), { ...vitestRunner, extras: sqlExtras('mysql') })
}
