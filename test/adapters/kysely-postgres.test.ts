import { describeStore } from '../../src/conformance'
import { shouldRun } from '../helpers/should-run'
import { vitestRunner } from '../helpers/vitest-runner'
import { describeChannelFaults } from './channel-faults'
import { pgChannelHarness } from './sql-channel'
import { sqlExtras } from './sql-extras'
import { reachable, sqlHarness } from './sql-harness'

if (await shouldRun('PostgreSQL', () => reachable('postgres'))) {
  describeStore(sqlHarness('postgres', 200), { ...vitestRunner, extras: sqlExtras('postgres') })
  describeChannelFaults(pgChannelHarness)
}
