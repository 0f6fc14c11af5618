import { describe, expect, it } from 'vitest'
import { usageChart, usageTable } from '../../src/cli/usage-chart'
import { usageSeries } from '../../src/core/key-usage'
import { presentKeyUsage } from '../../src/http/wire-out'
import { HOUR, T0 } from '../helpers/clock'

const usage = presentKeyUsage(
  usageSeries('key_01KEY', { from: T0, to: T0 + 3 * HOUR, granularity: 'hour' }, [
    { keyId: 'key_01KEY', hour: T0, outcome: 'success', count: 80 },
    { keyId: 'key_01KEY', hour: T0 + HOUR, outcome: 'success', count: 30 },
    { keyId: 'key_01KEY', hour: T0 + HOUR, outcome: 'rate_limited', count: 10 },
  ]),
)

describe('keycycle key usage output', () => {
  it('draws a bar per bucket on a terminal, scaled to the busiest, refusals beside it', () => {
    expect(usageChart(usage).split('\n')).toEqual([
      `key_01KEY: verifications by hour (UTC), ${new Date(T0).toISOString()} to ${new Date(T0 + 3 * HOUR).toISOString()}`,
      `2026-01-15 12:00  80 ${'█'.repeat(40)}`,
      `2026-01-15 13:00  40 ${'█'.repeat(20)}  (30 ok; rate_limited 10)`,
      '2026-01-15 14:00   0 ',
      'total 120: success 110, rate_limited 10',
    ])
  })

  it('prints a plain table otherwise: one row per bucket, a column per outcome that occurred', () => {
    expect(usageTable(usage).split('\n')).toEqual([
      'start                     total  success  rate_limited',
      '2026-01-15T12:00:00.000Z  80     80       0',
      '2026-01-15T13:00:00.000Z  40     30       10',
      '2026-01-15T14:00:00.000Z  0      0        0',
    ])
  })
})
