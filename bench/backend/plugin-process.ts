// What the backend benchmarks share about the plugin process they start: the
// environment a Grafana host gives a plugin (and nothing of this shell's), the
// process's CPU time as the kernel counts it, and the range query they time.
import { readdirSync, readFileSync } from 'node:fs';

/** The plugin host's variables and PATH, nothing else (see bench.ts for why). */
export function pluginEnv(logLevel: 'debug' | 'warn'): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    grafana_plugin_type: 'datasource',
    PLUGIN_PROTOCOL_VERSIONS: '2',
    ZVIZ_LOG_LEVEL: logLevel,
  };
}

/** CPU time of all of a process' threads so far, in ms (schedstat counts nanoseconds). */
export function cpuMs(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return ns / 1e6;
}

/** A promql range query of 1,000 points at a 15 s step: a dashboard panel's usual size. */
export function upRangeQuery() {
  const from = 1_700_000_000_000;
  return {
    refId: 'A',
    model: { queryType: 'promql', expr: 'up' },
    from,
    to: from + 999 * 15_000,
    intervalMs: 15000,
    maxDataPoints: 1000,
  };
}
