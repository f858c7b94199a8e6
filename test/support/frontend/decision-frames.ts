// Frames shaped exactly as the backend datasource emits them for a
// `decisions` query (packages/shared/src/frames.ts), and as Prometheus returns
// zviz_broker_decisions_total, for the panel's unit and browser tests.
import { createDataFrame, type DataFrame, DataFrameType, FieldType } from '@grafana/data';

import { DECISIONS } from '@zviz/shared/agent-api';
import {
  DECISION_TREND_FRAME,
  DECISIONS_FRAME,
  type DecisionsFrameMeta,
  TIME_FIELD,
  VALUE_FIELD,
} from '@zviz/shared/frames';

const REAL_SYSCALLS = [
  'read',
  'write',
  'openat',
  'close',
  'fstat',
  'mmap',
  'mprotect',
  'munmap',
  'brk',
  'rt_sigaction',
  'ioctl',
  'pread64',
  'access',
  'pipe2',
  'select',
  'sched_yield',
  'mremap',
  'madvise',
  'dup',
  'dup3',
  'nanosleep',
  'getpid',
  'socket',
  'connect',
  'accept4',
  'sendto',
  'recvfrom',
  'bind',
  'listen',
  'clone3',
  'execve',
  'exit_group',
  'wait4',
  'kill',
  'uname',
  'fcntl',
  'flock',
  'fsync',
  'getdents64',
  'getcwd',
  'chdir',
  'rename',
  'mkdir',
  'rmdir',
  'unlink',
  'readlink',
  'chmod',
  'chown',
  'umask',
  'ptrace',
  'mount',
  'umount2',
  'pivot_root',
  'reboot',
  'init_module',
  'bpf',
  'perf_event_open',
  'keyctl',
  'add_key',
  'unshare',
  'setns',
  'kexec_load',
  'open_by_handle_at',
  'userfaultfd',
] as const;

/** Deterministic pseudo-random numbers, so fixtures and screenshots are stable. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export function syscallNames(n: number): string[] {
  const names: string[] = [...REAL_SYSCALLS].slice(0, n);
  for (let i = names.length; i < n; i++) {
    names.push(`syscall_${String(i).padStart(3, '0')}`);
  }
  return names;
}

export interface DecisionFixture {
  syscalls: number;
  mode?: 'count' | 'rate';
  rangeSeconds?: number;
  p99LatencySeconds?: number;
  /** Points per trend frame; 0 emits no trend frames. */
  trendPoints?: number;
  seed?: number;
}

/** Rates per second of one syscall and decision; denials are rarer than allows. */
function baseRates(n: number, seed: number): number[][] {
  const rnd = prng(seed);
  return Array.from({ length: n }, (_, i) => {
    const heavy = 200 / (i + 1);
    return DECISIONS.map((d) => {
      const r = rnd();
      switch (d) {
        case 'allow':
          return heavy * (0.5 + r);
        case 'deny':
          return r > 0.7 ? heavy * 0.05 * r : 0;
        case 'kill':
          return r > 0.97 ? 0.01 : 0;
        case 'log':
          return r > 0.5 ? heavy * 0.02 : 0;
        case 'emulate':
          return r > 0.85 ? heavy * 0.1 : 0;
        default:
          return r > 0.95 ? 0.02 : 0;
      }
    });
  });
}

/** The `decisions` query response: the wide frame, then the one trend frame. */
export function decisionsFrames(fixture: DecisionFixture): DataFrame[] {
  const { syscalls: n, mode = 'count', rangeSeconds = 3600, p99LatencySeconds, trendPoints = 30, seed = 7 } = fixture;
  const names = syscallNames(n);
  const rates = baseRates(n, seed);
  const scale = mode === 'count' ? rangeSeconds : 1;
  const meta: DecisionsFrameMeta = {
    mode,
    rangeSeconds,
    ...(p99LatencySeconds !== undefined && { p99LatencySeconds }),
  };
  const wide = createDataFrame({
    name: DECISIONS_FRAME,
    refId: 'A',
    meta: { custom: meta },
    fields: [
      { name: 'syscall', type: FieldType.string, values: names },
      ...DECISIONS.map((d, j) => ({
        name: d,
        type: FieldType.number,
        values: rates.map((r) => (mode === 'count' ? Math.round(r[j] * scale) : r[j])),
      })),
      {
        name: 'total',
        type: FieldType.number,
        values: rates.map((r) => r.reduce((a, v) => a + (mode === 'count' ? Math.round(v * scale) : v), 0)),
      },
    ],
  });
  if (trendPoints === 0) {
    return [wide];
  }
  const end = 1_700_000_000_000;
  const step = (rangeSeconds * 1000) / trendPoints;
  const times = Array.from({ length: trendPoints }, (_, k) => end - (trendPoints - 1 - k) * step);
  // One timeseries-wide frame: a time field, then a `value` field per
  // (syscall, decision) with decisions, as the backend emits the trend.
  const values: Array<{ name: string; type: FieldType; labels: Record<string, string>; values: number[] }> = [];
  names.forEach((syscall, i) => {
    DECISIONS.forEach((decision, j) => {
      if (rates[i][j] === 0) {
        return;
      }
      values.push({
        name: VALUE_FIELD,
        type: FieldType.number,
        labels: { syscall, decision },
        values: times.map((_, k) => rates[i][j] * (1 + 0.5 * Math.sin((k + i) / 3))),
      });
    });
  });
  const trend = createDataFrame({
    name: DECISION_TREND_FRAME,
    refId: 'A',
    meta: { type: DataFrameType.TimeSeriesWide },
    fields: [{ name: TIME_FIELD, type: FieldType.time, values: times }, ...values],
  });
  return [wide, trend];
}

/** A Prometheus range query of the raw counter: one frame per series, cumulative values. */
export function prometheusCounterFrames(
  series: Array<{ syscall: string; decision: string; values: number[] }>,
  stepMs = 15_000
): DataFrame[] {
  return series.map(({ syscall, decision, values }) =>
    createDataFrame({
      refId: 'A',
      meta: { executedQueryString: 'Expr: zviz_broker_decisions_total' },
      fields: [
        { name: 'Time', type: FieldType.time, values: values.map((_, k) => 1_700_000_000_000 + k * stepMs) },
        {
          name: 'Value',
          type: FieldType.number,
          labels: { __name__: 'zviz_broker_decisions_total', instance: 'node-1:9090', job: 'zviz', syscall, decision },
          values,
        },
      ],
    })
  );
}
