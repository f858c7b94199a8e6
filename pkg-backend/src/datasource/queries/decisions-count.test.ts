// The count of a `decisions` query against a real Prometheus, on counters
// shaped as the broker exports them: series that grow through the range,
// series that first appear inside it (the broker exports a syscall and
// decision from its first decision on), and a counter reset (an agent
// restart). increase() is wrong on the middle case; the count is exact.
import { afterAll, beforeAll, expect, it } from 'vitest';

import { TestPrometheus } from '@zviz/test-support/prometheus';
import { binary, describeWhere } from '@zviz/test-support/requirements';

import { decisionsPromQL } from './decisions';

const STEP = 15;
const RANGE = 1800;

describeWhere([binary('prometheus'), binary('promtool', 'prometheus')], 'decisions counts in Prometheus', () => {
  let prom: TestPrometheus;
  const end = Math.floor((Date.now() / 1000 - 60) / STEP) * STEP;
  const start = end - 3600;
  const born = end - 600;
  const restart = end - 900;

  /** Value of each series at time t; undefined where the series does not exist. */
  const series: Record<string, (t: number) => number | undefined> = {
    // Two decisions a step for the whole hour, from an agent that ran before it.
    'openat,allow': (t) => 500 + (2 * (t - start)) / STEP,
    // First seen ten minutes before the end with 7 decisions, then one more a step.
    'openat,deny': (t) => (t < born ? undefined : 7 + (t - born) / STEP),
    // First seen with 5 decisions, none since: a burst that increase() counts as 0.
    'ptrace,kill': (t) => (t < born ? undefined : 5),
    // The agent restarted 15 minutes before the end: 3 a step before, 1 a step after.
    'connect,log': (t) => (t < restart ? 100 + (3 * (t - start)) / STEP : (t - restart) / STEP),
  };

  beforeAll(async () => {
    const lines = ['# TYPE zviz_broker_decisions counter'];
    for (const [key, value] of Object.entries(series)) {
      const [syscall, decision] = key.split(',');
      for (let t = start; t <= end; t += STEP) {
        const v = value(t);
        if (v !== undefined) {
          lines.push(`zviz_broker_decisions_total{syscall="${syscall}",decision="${decision}"} ${v} ${t}`);
        }
      }
    }
    lines.push('# EOF');
    prom = await TestPrometheus.start({ backfill: `${lines.join('\n')}\n` });
  });
  afterAll(async () => {
    await prom?.stop();
  });

  async function counts(expr: string): Promise<Record<string, number>> {
    const samples = await prom.query(expr, end);
    return Object.fromEntries(samples.map((s) => [`${s.metric.syscall},${s.metric.decision}`, Number(s.value![1])]));
  }

  it('counts exactly what the samples say, new series from zero, and estimates only across a reset', async () => {
    const { totals } = decisionsPromQL({ mode: 'count', syscalls: [], decisions: [], selector: '' }, RANGE, 60);
    const got = await counts(totals);
    expect(got['openat,allow']).toBe((2 * RANGE) / STEP);
    expect(got['openat,deny']).toBe(7 + 600 / STEP);
    expect(got['ptrace,kill']).toBe(5);
    // Across the reset, Prometheus' own estimate: the 3-a-step part and the 1-a-step part, extrapolated.
    const increase = await counts(`increase(zviz_broker_decisions_total{syscall="connect"}[${RANGE}s])`);
    expect(got['connect,log']).toBe(increase['connect,log']);
    expect(got['connect,log']).toBeGreaterThan((3 * 900) / STEP);
  });

  it('is what increase() would get wrong: new series lose their first decisions', async () => {
    const increase = await counts(`increase(zviz_broker_decisions_total[${RANGE}s])`);
    expect(increase['ptrace,kill']).toBe(0);
    expect(increase['openat,deny']).toBeLessThan(7 + 600 / STEP);
  });
});
