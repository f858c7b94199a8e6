// The agent process's own health: identity, start time, event loop delay,
// memory and CPU. prom-client's default metrics are left out on purpose:
// some fail `promtool check metrics` (a gauge named nodejs_active_handles_total)
// and the catalog needs only these.
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

import { BUILD_TIME, COMMIT, VERSION } from '../version';
import type { FamilySamples, MetricSource } from './source';

export interface ProcessIdentity {
  variant: string;
}

export class ProcessSource implements MetricSource {
  readonly families = [
    'zviz_build_info',
    'zviz_agent_start_time_seconds',
    'zviz_agent_event_loop_lag_seconds',
    'zviz_agent_resident_memory_bytes',
    'zviz_agent_cpu_seconds_total',
  ];

  private readonly delay: IntervalHistogram;
  private readonly startTime = Date.now() / 1000 - process.uptime();

  constructor(private identity: ProcessIdentity) {
    this.delay = monitorEventLoopDelay({ resolution: 10 });
    this.delay.enable();
  }

  setIdentity(identity: ProcessIdentity): void {
    this.identity = identity;
  }

  /** p99 of the event loop delay since the previous call, in seconds. */
  takeLagP99(): number {
    const p99 = this.delay.count > 0 ? this.delay.percentile(99) / 1e9 : 0;
    this.delay.reset();
    return p99;
  }

  close(): void {
    this.delay.disable();
  }

  collect(): Map<string, FamilySamples> {
    const cpu = process.cpuUsage();
    return new Map<string, FamilySamples>([
      [
        'zviz_build_info',
        [
          {
            labels: { version: VERSION, variant: this.identity.variant, commit: COMMIT, build_time: BUILD_TIME },
            value: 1,
          },
        ],
      ],
      ['zviz_agent_start_time_seconds', [{ labels: {}, value: Math.round(this.startTime * 1000) / 1000 }]],
      ['zviz_agent_event_loop_lag_seconds', [{ labels: {}, value: this.takeLagP99() }]],
      ['zviz_agent_resident_memory_bytes', [{ labels: {}, value: process.memoryUsage.rss() }]],
      ['zviz_agent_cpu_seconds_total', [{ labels: {}, value: (cpu.user + cpu.system) / 1e6 }]],
    ]);
  }
}
